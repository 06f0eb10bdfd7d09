"""Each worker process takes its share of the cores for torch and BLAS."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from workers.runtime.cpu_threads import threads_per_process


def test_the_cores_are_divided_among_the_pool_processes() -> None:
    cores = os.cpu_count() or 1
    assert threads_per_process(None, 1) == cores
    assert threads_per_process(None, 2) == max(1, cores // 2)
    assert threads_per_process(None, 10 * cores) == 1
    assert threads_per_process(3, 2) == 3  # REGULAB_WORKER_THREADS wins


def test_limit_threads_caps_torch_and_blas() -> None:
    # In a process of its own: the cap is process-wide.
    script = """
import json, numpy, threadpoolctl, torch
from workers.runtime.cpu_threads import limit_threads
limit_threads(1)
pools = [p["num_threads"] for p in threadpoolctl.threadpool_info()]
print(json.dumps({"torch": torch.get_num_threads(), "pools": pools}))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["torch"] == 1
    assert seen["pools"] and set(seen["pools"]) == {1}
