"""A 16-rate, 5-fold dropout sweep on digits through the service beside the same folds
trained one after another in this process.

    python -m bench.dropout_sweep_speed [--rates 16] [--epochs 10] [--workers 2]

On loopback: PostgreSQL store, Redis broker (a database / db number of their own), the
compose file's API and one worker command with ``--workers`` pool processes. The baseline
runs the worker's own fold function for every fold here, sequentially, with torch's
default threads. Prints both wall times, their ratio, and whether the CV curves and the
chosen rate agree.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from api_schemas.sweeps import SWEEP_SPEC
from bench.services import production_settings, time_sweep, wait_until_warm
from tests.processes import deployment
from workers.progress import StepCallbacks
from workers.sweeps.folds import DataSources
from workers.sweeps.paths import aggregate
from workers.sweeps.results import ValueFoldResult, of_kind
from workers.sweeps.trials import run_trial

BUILT_IN = DataSources(Path(), lambda base: None)  # built-in datasets only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rates = np.round(np.linspace(0.0, 0.75, args.rates), 4).tolist()
    sweep = {
        "kind": "sweep",
        "base": {
            "dataset": {"name": "digits"},
            "model": {"kind": "mlp", "hidden": [128]},
            "regularizers": [{"kind": "dropout", "rate": 0.5}],
            "training": {"epochs": args.epochs, "optimizer": "adam", "lr": 0.005},
        },
        "grid": {"rate": {"values": rates}},
        "cv": {"folds": 5, "shuffle": True, "seed": 0},
    }

    started = time.perf_counter()
    spec = SWEEP_SPEC.validate_python(sweep)
    folds = [run_trial(spec, fold, BUILT_IN, StepCallbacks()) for fold in range(5)]
    local_seconds = time.perf_counter() - started
    local = aggregate(
        [f.fold_path() for f in of_kind(folds, ValueFoldResult)], higher_is_better=True
    )

    with (
        production_settings() as (settings, folder),
        deployment(settings, folder, worker_flags={"concurrency": str(args.workers)}) as running,
    ):
        wait_until_warm(running.client)
        service_seconds, sweep_id = time_sweep(running.client, sweep)
        result = running.client.get(f"/v1/sweeps/{sweep_id}/result").json()

    networks = 5 * len(rates)
    print(f"digits, mlp [128], {len(rates)} dropout rates x 5 folds = {networks} networks, ")
    print(f"{args.epochs} epochs each\n")
    print(f"in-process, one fold after another   {local_seconds:7.2f} s")
    service = f"service ({args.workers} worker processes)"
    print(f"{service:<36} {service_seconds:7.2f} s   POST to succeeded")
    print(f"\nservice / in-process  {service_seconds / local_seconds:5.2f}x")
    difference = np.abs(np.asarray(result["cv"]["mean"]) - local.mean).max()
    print(f"largest difference of mean CV accuracy: {difference:.2e}")
    print(f"chosen rate: service {result['best']['rate']:g}, in-process {local.best:g}")
    print(f"1-SE rate: service {result['best_1se']['rate']:g}, in-process {local.best_1se:g}")


if __name__ == "__main__":
    main()
