"""Built-in datasets: names, task types, sizes and generator parameters.

Pure data, so the API can list datasets and validate job specs without
scikit-learn. The worker's loaders (``workers.data.datasets``) produce exactly these
shapes; a test holds the two together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from api_schemas import DatasetInfo, DatasetParam, TaskType

MAX_CELLS = 50_000_000  # rows x features a generated dataset may have


class DatasetParamError(ValueError):
    """A dataset parameter is unknown or out of range; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: Literal["int", "float"]
    default: float
    minimum: float
    maximum: float
    description: str

    def coerce(self, value: float) -> float | int:
        if isinstance(value, bool):
            raise DatasetParamError(self.name, f"{self.name} must be a number")
        if self.type == "int":
            if float(value) != int(value):
                raise DatasetParamError(self.name, f"{self.name} must be a whole number")
            value = int(value)
        if not self.minimum <= value <= self.maximum:
            raise DatasetParamError(
                self.name, f"{self.name} must be between {self.minimum} and {self.maximum}"
            )
        return value


@dataclass(frozen=True)
class Shape:
    rows: int
    features: int
    classes: int | None = None


@dataclass(frozen=True)
class BuiltinDataset:
    name: str
    task: TaskType
    description: str
    shape: Callable[[Mapping[str, float | int]], Shape]
    params: tuple[ParamSpec, ...] = ()
    check: Callable[[Mapping[str, float | int]], None] = field(default=lambda _p: None)
    #: (channels, height, width) for image datasets, which a CNN can take.
    image_shape: tuple[int, int, int] | None = None

    def resolve_params(self, given: Mapping[str, float | int]) -> dict[str, float | int]:
        """Defaults filled in, each value checked; raises DatasetParamError."""
        known = {p.name: p for p in self.params}
        for name in given:
            if name not in known:
                allowed = ", ".join(known) or "none"
                raise DatasetParamError(
                    name, f"{self.name} has no parameter {name!r} (parameters: {allowed})"
                )
        resolved = {
            p.name: p.coerce(given[p.name]) if p.name in given else p.coerce(p.default)
            for p in self.params
        }
        self.check(resolved)
        shape = self.shape(resolved)
        if self.params and shape.rows * shape.features > MAX_CELLS:
            raise DatasetParamError(
                "n_samples", f"{self.name} would have more than {MAX_CELLS:,} cells"
            )
        return resolved

    def info(self) -> DatasetInfo:
        shape = self.shape(self.resolve_params({}))
        return DatasetInfo(
            name=self.name,
            task=self.task,
            rows=shape.rows,
            features=shape.features,
            classes=shape.classes,
            image_shape=list(self.image_shape) if self.image_shape else None,
            description=self.description,
            params=[
                DatasetParam(
                    name=p.name,
                    type=p.type,
                    default=p.default,
                    minimum=p.minimum,
                    maximum=p.maximum,
                    description=p.description,
                )
                for p in self.params
            ],
        )


def _seed(default: int = 0) -> ParamSpec:
    return ParamSpec("seed", "int", default, 0, 2**32 - 1, "Random seed of the generator.")


def _n_samples(default: int) -> ParamSpec:
    return ParamSpec("n_samples", "int", default, 2, 1_000_000, "Number of rows.")


def _check_informative(params: Mapping[str, float | int]) -> None:
    if params["n_informative"] > params["n_features"]:
        raise DatasetParamError("n_informative", "n_informative must be at most n_features")


def _check_classification(params: Mapping[str, float | int]) -> None:
    _check_informative(params)
    # make_classification puts two clusters per class on hypercube vertices.
    if params["n_classes"] * 2 > 2 ** params["n_informative"]:
        raise DatasetParamError(
            "n_classes", "n_classes * 2 must be at most 2 ** n_informative; raise n_informative"
        )


def _fixed(rows: int, features: int, classes: int | None = None) -> Callable[..., Shape]:
    return lambda _params: Shape(rows, features, classes)


BUILTIN_DATASETS: dict[str, BuiltinDataset] = {
    d.name: d
    for d in (
        BuiltinDataset(
            name="seed_linear",
            task="regression",
            description="The article's data: np.random.seed(0); X = rand(100, 1); "
            "y = 3x + N(0, 0.3). One feature, so fits can be drawn as lines.",
            shape=lambda p: Shape(int(p["n_samples"]), 1),
            params=(
                _n_samples(100),
                ParamSpec("noise", "float", 0.3, 0.0, 1e6, "Standard deviation of the noise."),
                ParamSpec("slope", "float", 3.0, -1e6, 1e6, "True slope of y on x."),
                _seed(),
            ),
        ),
        BuiltinDataset(
            name="sparse_regression",
            task="regression",
            description="Many features, few informative (make_regression): where L1 selects "
            "features and L2 does not.",
            shape=lambda p: Shape(int(p["n_samples"]), int(p["n_features"])),
            params=(
                _n_samples(200),
                ParamSpec("n_features", "int", 50, 1, 100_000, "Number of features."),
                ParamSpec("n_informative", "int", 5, 1, 100_000, "Features that matter."),
                ParamSpec("noise", "float", 10.0, 0.0, 1e6, "Standard deviation of the noise."),
                _seed(),
            ),
            check=_check_informative,
        ),
        BuiltinDataset(
            name="classification",
            task="classification",
            description="Synthetic classes (make_classification, no redundant features).",
            shape=lambda p: Shape(int(p["n_samples"]), int(p["n_features"]), int(p["n_classes"])),
            params=(
                _n_samples(300),
                ParamSpec("n_features", "int", 10, 2, 100_000, "Number of features."),
                ParamSpec("n_informative", "int", 4, 1, 100_000, "Features that matter."),
                ParamSpec("n_classes", "int", 2, 2, 20, "Number of classes."),
                _seed(),
            ),
            check=_check_classification,
        ),
        BuiltinDataset(
            name="diabetes",
            task="regression",
            description="scikit-learn's diabetes progression data (442 patients, 10 features).",
            shape=_fixed(442, 10),
        ),
        BuiltinDataset(
            name="breast_cancer",
            task="classification",
            description="scikit-learn's Wisconsin breast cancer data (binary, 30 features).",
            shape=_fixed(569, 30, 2),
        ),
        BuiltinDataset(
            name="iris",
            task="classification",
            description="scikit-learn's iris flowers (3 classes, 4 features).",
            shape=_fixed(150, 4, 3),
        ),
        BuiltinDataset(
            name="wine",
            task="classification",
            description="scikit-learn's wine cultivars (3 classes, 13 features).",
            shape=_fixed(178, 13, 3),
        ),
        BuiltinDataset(
            name="digits",
            task="classification",
            description="scikit-learn's 8x8 handwritten digits (10 classes, 64 pixels).",
            shape=_fixed(1797, 64, 10),
            image_shape=(1, 8, 8),
        ),
        BuiltinDataset(
            name="fashion_mnist",
            task="classification",
            description="Zalando's FashionMNIST, the article's CNN data: 60,000 training and "
            "10,000 test images of 28x28, 10 classes, read from the standard IDX files "
            "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,"
            " t10k-labels-idx1-ubyte.gz) in <REGULAB_DATA_DIR>/fashion_mnist/, which a worker "
            "downloads and checks on first use (REGULAB_DOWNLOAD_DATASETS). It always uses "
            "its own test set; test_fraction does not apply.",
            shape=_fixed(70000, 784, 10),
            image_shape=(1, 28, 28),
        ),
    )
}
