"""Loaders for the built-in datasets; shapes agree with ``service.datasets.catalog``."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn import datasets as sk_datasets

from api_schemas import DatasetRef, TaskType
from service.datasets.catalog import BUILTIN_DATASETS
from workers.data import downloads

Params = Mapping[str, float | int]


@dataclass(frozen=True)
class Dataset:
    name: str
    task: TaskType
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_names: list[str] | None = None
    image_shape: tuple[int, int, int] | None = None
    #: A test set that comes with the data (FashionMNIST's); the split then takes no
    #: test rows from X.
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


class DatasetUnavailableError(RuntimeError):
    """The data files are not where the settings say."""


def _seed_linear(p: Params) -> Dataset:
    # Exactly the article's draws: np.random.seed(0) then rand, then normal.
    rng = np.random.RandomState(int(p["seed"]))
    n = int(p["n_samples"])
    X = rng.rand(n, 1)
    y = p["slope"] * X[:, 0] + rng.normal(0, p["noise"], n)
    return Dataset("seed_linear", "regression", X, y, ["x"])


def _sparse_regression(p: Params) -> Dataset:
    X, y = sk_datasets.make_regression(
        n_samples=int(p["n_samples"]),
        n_features=int(p["n_features"]),
        n_informative=int(p["n_informative"]),
        noise=float(p["noise"]),
        random_state=int(p["seed"]),
    )
    names = [f"x{i}" for i in range(X.shape[1])]
    return Dataset("sparse_regression", "regression", X, y, names)


def _classification(p: Params) -> Dataset:
    X, y = sk_datasets.make_classification(
        n_samples=int(p["n_samples"]),
        n_features=int(p["n_features"]),
        n_informative=int(p["n_informative"]),
        n_redundant=0,
        n_classes=int(p["n_classes"]),
        random_state=int(p["seed"]),
    )
    names = [f"x{i}" for i in range(X.shape[1])]
    classes = [str(c) for c in range(int(p["n_classes"]))]
    return Dataset("classification", "classification", X, y, names, classes)


def _bundled(name: str, task: TaskType) -> Callable[[Params, Path], Dataset]:
    def load(_: Params, __: Path) -> Dataset:
        bunch = getattr(sk_datasets, f"load_{name}")()
        names = [str(f) for f in getattr(bunch, "feature_names", [])] or [
            f"x{i}" for i in range(bunch.data.shape[1])
        ]
        targets = [str(t) for t in bunch.target_names] if task == "classification" else None
        shape = BUILTIN_DATASETS[name].image_shape
        return Dataset(
            name, task, np.asarray(bunch.data, float), bunch.target, names, targets, shape
        )

    return load


# -- IDX files (the MNIST family's format) ----------------------------------------------

IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
FASHION_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
FASHION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip


def read_idx(path: Path) -> np.ndarray:
    """An IDX array (optionally gzipped): magic 0x0000 <dtype> <ndim>, big-endian sizes."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        raise ValueError(f"{path.name} is not an IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.dtype(IDX_DTYPES[raw[2]]), offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path.name} holds {data.size} values, its header says {dims}")
    array: np.ndarray = data.reshape(dims)
    return array


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as a gzipped IDX file, the format FashionMNIST ships in."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    with gzip.open(path, "wb") as handle:
        handle.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def _fashion_mnist(_: Params, data_dir: Path) -> Dataset:
    folder = data_dir / "fashion_mnist"
    policy = downloads.current()
    missing = [name for name in FASHION_FILES.values() if not (folder / name).is_file()]
    if missing and not policy.enabled:
        raise DatasetUnavailableError(
            f"fashion_mnist needs the IDX files {', '.join(missing)} in {folder} "
            "(REGULAB_DATA_DIR/fashion_mnist); downloads are off (REGULAB_DOWNLOAD_DATASETS)"
        )
    arrays = {key: _idx_file(folder, name, policy) for key, name in FASHION_FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.shape != (images.shape[0],):
            raise DatasetUnavailableError(f"fashion_mnist {split} files do not match")

    def flat(images: np.ndarray) -> np.ndarray:
        return images.reshape(len(images), -1).astype(np.float32) / 255.0

    height, width = arrays["train_images"].shape[1:]
    return Dataset(
        "fashion_mnist",
        "classification",
        flat(arrays["train_images"]),
        arrays["train_labels"].astype(np.int64),
        [f"px{i}" for i in range(height * width)],
        FASHION_CLASSES,
        (1, height, width),
        flat(arrays["test_images"]),
        arrays["test_labels"].astype(np.int64),
    )


def _idx_file(folder: Path, name: str, policy: downloads.Downloads) -> np.ndarray:
    """The array of one IDX file, fetched first when it is missing or does not read."""
    path = folder / name
    if path.is_file():
        try:
            return read_idx(path)
        except (OSError, EOFError, ValueError) as exc:  # truncated, not gzip, not IDX
            if not policy.enabled:
                raise DatasetUnavailableError(
                    f"{path} does not read as an IDX file ({exc}); replace it, or turn "
                    "downloads on (REGULAB_DOWNLOAD_DATASETS)"
                ) from exc
    try:
        downloads.fetch(folder, name, policy)
    except downloads.DownloadError as exc:
        raise DatasetUnavailableError(
            f"{exc}; or put the IDX files in {folder} (REGULAB_DATA_DIR/fashion_mnist)"
        ) from exc
    return read_idx(path)


def _generated(make: Callable[[Params], Dataset]) -> Callable[[Params, Path], Dataset]:
    return lambda params, _data_dir: make(params)


LOADERS: dict[str, Callable[[Params, Path], Dataset]] = {
    "seed_linear": _generated(_seed_linear),
    "sparse_regression": _generated(_sparse_regression),
    "classification": _generated(_classification),
    "diabetes": _bundled("diabetes", "regression"),
    "breast_cancer": _bundled("breast_cancer", "classification"),
    "iris": _bundled("iris", "classification"),
    "wine": _bundled("wine", "classification"),
    "digits": _bundled("digits", "classification"),
    "fashion_mnist": _fashion_mnist,
}


def load_dataset(ref: DatasetRef, data_dir: Path) -> Dataset:
    """A built-in dataset (uploaded ones are read by the job runner). The last few are
    kept per process: a sweep's folds and its aggregation load the same data."""
    if ref.name is None:
        raise ValueError("load_dataset reads built-in datasets, which have a name")
    params = BUILTIN_DATASETS[ref.name].resolve_params(ref.params)
    return _load(ref.name, tuple(sorted(params.items())), data_dir)


@lru_cache(maxsize=2)
def _load(name: str, params: tuple[tuple[str, float | int], ...], data_dir: Path) -> Dataset:
    dataset = LOADERS[name](dict(params), data_dir)
    for array in (dataset.X, dataset.y, dataset.X_test, dataset.y_test):
        if array is not None:
            array.flags.writeable = False  # shared between jobs: nobody may change it
    return dataset
