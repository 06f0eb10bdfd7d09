"""CPU threads per worker process: torch and the BLAS/OpenMP pools of numpy and
scikit-learn each start one thread per core, so N pool processes on C cores run N x C
threads that spin against each other. Each process gets its share instead."""

from __future__ import annotations

import os

import threadpoolctl
import torch


def threads_per_process(configured: int | None, processes: int) -> int:
    """``configured`` (REGULAB_WORKER_THREADS), else the cores divided among the processes."""
    if configured is not None:
        return configured
    return max(1, (os.cpu_count() or 1) // max(1, processes))


def limit_threads(threads: int) -> None:
    """Cap this process's torch intra-op threads and its BLAS / OpenMP pools."""
    torch.set_num_threads(threads)
    threadpoolctl.threadpool_limits(limits=threads)
