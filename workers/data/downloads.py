"""Data files fetched on first use: fashion_mnist's four IDX files.

Each file is fetched from the first mirror that serves it with the right checksum, into
a temporary name beside its final one, and renamed into place only once verified, so no
reader (nor a second worker fetching at the same time) ever sees part of a file. A file
already in place is used as it is (put there by hand, or fetched and verified before);
one that does not read as IDX is fetched again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from service.config import Settings

#: The published MD5s of FashionMNIST's files (the same ones torchvision checks).
FASHION_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
#: Seconds to connect and between bytes of one download.
TIMEOUT_SECONDS = 30.0
#: The most bytes one file may have (the largest FashionMNIST file has 26 MB).
MAX_FILE_BYTES = 256 << 20


class DownloadError(RuntimeError):
    """No mirror served the file with its checksum; the message says what each did."""


@dataclass(frozen=True)
class Downloads:
    """Whether and where this process fetches data files (from the settings)."""

    enabled: bool = False
    mirrors: tuple[str, ...] = ()
    checksums: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Downloads:
        mirrors = tuple(m.strip() for m in settings.fashion_mnist_mirrors.split(",") if m.strip())
        checksums = dict(FASHION_MNIST_MD5)
        for pair in filter(None, (p.strip() for p in settings.fashion_mnist_checksums.split(","))):
            name, _, digest = pair.partition("=")
            checksums[name.strip()] = digest.strip().lower()
        return cls(settings.download_datasets, mirrors, checksums)


#: The process's policy, once a worker's context has set it.
_configured: dict[str, Downloads] = {}


def configure(downloads: Downloads) -> None:
    """What this process does about missing data files (a worker's context sets it)."""
    _configured["policy"] = downloads


def current() -> Downloads:
    """The configured policy; by default the one the environment's settings give."""
    return _configured.get("policy") or Downloads.from_settings(Settings())


def fetch(folder: Path, name: str, downloads: Downloads) -> Path:
    """Fetch ``name`` into ``folder`` from the first mirror that serves it verified."""
    expected = downloads.checksums.get(name)
    if expected is None:
        raise DownloadError(f"no checksum is known for {name}; set it in the settings")
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in downloads.mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            data = _get(url)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            failures.append(f"{url}: {exc}")
            continue
        digest = _digest(data, expected)
        if digest != expected:
            failures.append(f"{url}: checksum {digest}, expected {expected}")
            continue
        _place(folder / name, data)
        return folder / name
    tried = "; ".join(failures) or "no mirrors are set (REGULAB_FASHION_MNIST_MIRRORS)"
    raise DownloadError(f"could not fetch {name}: {tried}")


def _get(url: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError("mirrors are http(s) URLs")
    request = urllib.request.Request(url, headers={"User-Agent": "regulab"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        data: bytes = response.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"more than {MAX_FILE_BYTES} bytes")
    return data


def _digest(data: bytes, expected: str) -> str:
    """The hex digest of ``data`` in the algorithm ``expected`` is in (MD5 or SHA-256)."""
    if len(expected) == 64:
        return hashlib.sha256(data).hexdigest()
    return hashlib.md5(data, usedforsecurity=False).hexdigest()  # the published digests


def _place(path: Path, data: bytes) -> None:
    """Write to a temporary name beside ``path`` and rename: all of it appears or none."""
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
