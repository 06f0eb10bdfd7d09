"""Artifact downloads go out in blocks, not lines, and close their file."""

from __future__ import annotations

import io

from service.artifacts import chunks


def test_a_download_is_blocks_of_the_given_size_and_the_file_is_closed() -> None:
    text = b"".join(f"{i},{i * 2}\n".encode() for i in range(10_000))
    stream = io.BytesIO(text)
    blocks = list(chunks(stream, size=4096))
    assert b"".join(blocks) == text
    assert [len(b) for b in blocks[:-1]] == [4096] * (len(blocks) - 1)
    assert stream.closed
