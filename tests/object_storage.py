"""A real S3 API on loopback for tests and benchmarks: moto's server mode (HTTP, request
signing checked, presigned URLs served), one process per test session, one bucket per
test."""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import boto3
import httpx

from tests.processes import Process, free_port

#: moto accepts any credentials; these keep boto3 off the instance-metadata lookup. Every
#: process the tests start inherits them.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "regulab-test",
    "AWS_SECRET_ACCESS_KEY": "regulab-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def use_test_credentials() -> None:
    for name, value in CREDENTIALS.items():
        os.environ.setdefault(name, value)


class S3Server:
    """``moto_server`` on a free port; ``start`` waits until it answers."""

    def __init__(self, folder: Path) -> None:
        server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        if server is None:
            raise FileNotFoundError("moto_server is not installed (pip install 'moto[server]')")
        self.port = free_port()
        self.argv = [server, "-H", "127.0.0.1", "-p", str(self.port)]
        self.log = folder / "moto.log"
        self.process: Process | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = Process("s3", self.argv, {**os.environ, **CREDENTIALS}, self.log)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.endpoint_url, timeout=1)
                return
            except httpx.TransportError:
                assert self.process.alive() and time.monotonic() < deadline, self.process.output()
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def new_bucket(self) -> str:
        name = f"regulab-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=self.endpoint_url, **_keys()).create_bucket(Bucket=name)
        return name

    def object_keys(self, bucket: str) -> list[str]:
        client = boto3.client("s3", endpoint_url=self.endpoint_url, **_keys())
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", []))


def _keys() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }
