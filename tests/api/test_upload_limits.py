"""Uploads that would decode past REGULAB_MAX_UPLOAD_ROWS, _COLUMNS or _DECODED_BYTES are
refused (413) before they are decoded, and nothing is stored; reads page a wide table's
columns."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.processes import (
    Process,
    child_env,
    compose_command,
    free_port,
    local_command,
    wait_for_http,
)

#: The issue's bomb: 150 million constant int64 rows, about 1.2 MB of Parquet that
#: decodes to 2.4 GB.
BOMB_ROWS = 150_000_000
#: Peak resident memory the API may reach while refusing the bomb and a 100,000-column
#: CSV (it idles at about 150 MB; decoding the bomb took it past 4 GB).
API_PEAK_BYTES = 500 << 20


@contextmanager
def api_with(settings: Settings, **limits: int) -> Iterator[TestClient]:
    changed = Settings.model_validate({**settings.model_dump(), **limits})
    with TestClient(create_app(changed)) as client:
        yield client


def upload(client: TestClient | httpx.Client, data: bytes, filename: str, target: str) -> Any:
    fields = {"name": filename, "target": target}
    return client.post("/v1/datasets", files={"file": (filename, data)}, data=fields)


def assert_refused(response: Any, setting: str, *phrases: str) -> None:
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert f"REGULAB_{setting}" in detail and all(p in detail for p in phrases), detail


def stored_uploads(client: TestClient, settings: Settings) -> list[Any]:
    listed = client.get("/v1/datasets").json()["items"]
    folder = settings.artifacts_root / "datasets"
    files = list(folder.rglob("*")) if folder.exists() else []
    return [d for d in listed if d["source"] == "upload"] + files


def parquet(table: pa.Table, **options: Any) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    return sink.getvalue()


def numbers(rows: int) -> pa.Table:
    """A constant feature and a target that counts: valid, whatever its length."""
    return pa.table({"x": pa.repeat(pa.scalar(7, pa.int64()), rows), "y": pa.array(range(rows))})


def csv_text(columns: int, rows: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    lines = [header] + [",".join(str((r + i) % 10) for i in range(columns)) for r in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_parquet_file_with_too_many_rows_is_refused_from_its_footer(
    embedded_settings: Settings,
) -> None:
    with api_with(embedded_settings, max_upload_rows=1000) as client:
        refused = upload(client, parquet(numbers(1001)), "long.parquet", "y")
        assert_refused(refused, "MAX_UPLOAD_ROWS", "long.parquet has 1001 data rows", "1000")
        assert stored_uploads(client, embedded_settings) == []
        assert upload(client, parquet(numbers(1000)), "long.parquet", "y").status_code == 201


def test_a_parquet_file_with_too_many_columns_is_refused(embedded_settings: Settings) -> None:
    table = pa.table({f"c{i}": [1.0, 2.0] for i in range(4)})
    with api_with(embedded_settings, max_upload_columns=3) as client:
        assert_refused(upload(client, parquet(table), "w.parquet", "c0"), "MAX_UPLOAD_COLUMNS")
        assert upload(client, parquet(table.drop(["c3"])), "w.parquet", "c0").status_code == 201


def test_a_parquet_file_past_the_decoded_bytes_is_refused(embedded_settings: Settings) -> None:
    """Numbers: the footer's rows x 8 bytes, before decoding. Text, which run-length and
    dictionary encodings shrink past what the footer says: counted as it decodes."""
    limit = 1 << 20
    text = pa.table({"note": ["x" * 2048] * 1000, "y": list(range(1000))})
    with api_with(embedded_settings, max_upload_decoded_bytes=limit) as client:
        over = upload(client, parquet(numbers(70_000)), "n.parquet", "y")
        assert_refused(over, "MAX_UPLOAD_DECODED_BYTES", "1120000 bytes or more")
        assert len(parquet(text)) < limit // 50
        assert_refused(upload(client, parquet(text), "t.parquet", "y"), "MAX_UPLOAD_DECODED_BYTES")
        assert stored_uploads(client, embedded_settings) == []
        assert upload(client, parquet(numbers(60_000)), "n.parquet", "y").status_code == 201


def test_a_csv_with_too_many_columns_is_refused_from_its_header(
    embedded_settings: Settings,
) -> None:
    """The header alone decides: the rows after it are not even parseable, so a parse
    would answer 422. (Its first name holds a quoted line break.)"""
    names = ['"c\n0"'] + [f"c{i}" for i in range(1, 100_000)]
    wide = ",".join(names).encode() + b"\n1,2\n\x00\xff\n"
    with api_with(embedded_settings) as client:
        refused = upload(client, wide, "wide.csv", "c0")
        assert_refused(refused, "MAX_UPLOAD_COLUMNS", "wide.csv has 100000 columns", "2000")
        assert stored_uploads(client, embedded_settings) == []


def test_a_csv_with_too_many_rows_is_refused(embedded_settings: Settings) -> None:
    with api_with(embedded_settings, max_upload_rows=5) as client:
        refused = upload(client, csv_text(3, 6), "rows.csv", "c0")
        assert_refused(refused, "MAX_UPLOAD_ROWS", "rows.csv has more than 5 data rows")
        assert stored_uploads(client, embedded_settings) == []
        accepted = upload(client, csv_text(3, 5), "rows.csv", "c0")
        assert accepted.status_code == 201 and accepted.json()["rows"] == 5


def test_a_csv_past_the_decoded_bytes_is_refused_before_it_is_parsed(
    embedded_settings: Settings,
) -> None:
    """Counted as 8 bytes a cell: 40,000 rows of 4 columns is 1,280,000 bytes."""
    with api_with(embedded_settings, max_upload_decoded_bytes=1 << 20) as client:
        refused = upload(client, csv_text(4, 40_000), "cells.csv", "c0")
        assert_refused(refused, "MAX_UPLOAD_DECODED_BYTES", "1280000 bytes at 8 a cell")
        assert stored_uploads(client, embedded_settings) == []
        assert upload(client, csv_text(4, 30_000), "cells.csv", "c0").status_code == 201


def test_reads_page_the_columns_of_a_wide_table(settings: Settings) -> None:
    with api_with(settings) as client:
        created = upload(client, csv_text(250, 3), "wide.csv", "c249").json()
        assert (len(created["columns"]), created["column_count"]) == (100, 250)
        dataset = f"/v1/datasets/{created['id']}"
        names: list[str] = []
        offset: int | None = 0
        while offset is not None:
            page = client.get(dataset, params={"columns_offset": offset}).json()
            assert page["column_count"] == 250 and len(page["columns"]) <= 100
            names += [c["name"] for c in page["columns"]]
            offset = page["next_columns_offset"]
        assert names == [f"c{i}" for i in range(250)]
        last = client.get(f"{dataset}/preview", params={"rows": 2, "columns_offset": 200}).json()
        assert last["columns"] == [f"c{i}" for i in range(200, 250)]
        assert last["rows"] == [
            [i % 10 for i in range(200, 250)],
            [i % 10 for i in range(201, 251)],
        ]
        assert (last["column_count"], last["next_columns_offset"]) == (250, None)
        first = client.get(f"{dataset}/preview", params={"columns_limit": 10}).json()
        assert (first["columns"][-1], len(first["rows"][0]), first["next_columns_offset"]) == (
            "c9",
            10,
            10,
        )
        past = client.get(dataset, params={"columns_offset": 300}).json()
        assert (past["columns"], past["next_columns_offset"]) == ([], None)
        too_many = client.get(dataset, params={"columns_limit": 1001})
        assert too_many.status_code == 422
        assert too_many.json()["detail"][0]["loc"] == ["query", "columns_limit"]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The issue's Parquet bomb, written a million rows at a time (a few seconds)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.parquet"
    block = numbers(1_000_000).set_column(1, "y", pa.repeat(pa.scalar(1, pa.int64()), 1_000_000))
    with pq.ParquetWriter(path, block.schema) as writer:
        for _ in range(BOMB_ROWS // block.num_rows):
            writer.write_table(block)
    return path


def peak_memory(pid: int) -> int:
    """The process's resident high-water mark (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


@pytest.mark.e2e
def test_the_api_refuses_a_parquet_bomb_and_a_100k_column_csv_in_little_memory(
    embedded_settings: Settings, bomb: Path, tmp_path: Path
) -> None:
    assert pq.ParquetFile(bomb).metadata.num_rows == BOMB_ROWS
    assert bomb.stat().st_size < 2 << 20
    port = free_port()
    argv = local_command(compose_command("api"), host="127.0.0.1", port=str(port))
    with (
        Process("api", argv, child_env(embedded_settings), tmp_path / "api.log") as api,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client,
    ):
        wait_for_http(f"http://127.0.0.1:{port}/readyz", api)
        refused = upload(client, bomb.read_bytes(), "bomb.parquet", "y")
        wide = upload(client, csv_text(100_000, 4), "wide.csv", "c0")
        assert peak_memory(api.popen.pid) < API_PEAK_BYTES, api.output()
        assert_refused(refused, "MAX_UPLOAD_ROWS", f"has {BOMB_ROWS} data rows")
        assert_refused(wide, "MAX_UPLOAD_COLUMNS", "has 100000 columns")
