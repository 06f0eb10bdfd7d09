"""Preprocessing of uploaded tables, fitted on the training rows only.

Rows are split first; every statistic (imputation values, categories, means and
scales) comes from the training rows and is then applied to the test rows, so no
information leaks from test to train.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from sklearn.model_selection import train_test_split

from api_schemas import JobCreate, Preprocessing
from workers.data.splits import DataError, SplitData


@dataclass(frozen=True)
class FittedColumn:
    """A feature column as the training rows fitted it: the numbers a model file applies
    to a new row, so it is preprocessed exactly as training's rows were."""

    name: str
    type: Literal["number", "category"]
    #: What a missing cell becomes (preprocessing.missing impute_*): the training rows'
    #: mean, median or most frequent value (a category: the most frequent). Fitted for
    #: every column, also one without a missing training cell. None: missing is refused.
    fill: float | str | None = None
    #: A category column's one-hot columns, in order: the training rows' values.
    categories: list[str] | None = None
    #: (mean, scale) of a standardized number column, from the training rows.
    standardized: tuple[float, float] | None = None


@dataclass(frozen=True)
class FittedPreprocessing:
    """Everything a new row needs to be preprocessed as the training rows were."""

    #: preprocessing.missing of the job.
    missing: str
    #: The feature columns in training's order (the order of X's columns).
    columns: list[FittedColumn]
    #: The table's rows the numbers were fitted on, in the order of X_train's rows.
    rows: np.ndarray


@dataclass
class PreprocessingReport:
    rows_dropped: dict[str, int] = field(default_factory=dict)
    imputed: dict[str, int] = field(default_factory=dict)
    one_hot: dict[str, list[str]] = field(default_factory=dict)
    standardized: dict[str, tuple[float, float]] = field(default_factory=dict)
    fitted: FittedPreprocessing | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_dropped": self.rows_dropped,
            "imputed": self.imputed,
            "columns_created": {c: [f"{c}={v}" for v in vs] for c, vs in self.one_hot.items()},
            "standardized": sorted(self.standardized),
        }


def _rows(mask: np.ndarray, index: np.ndarray, limit: int = 10) -> str:
    rows = (index[mask] + 1).tolist()  # 1-based data rows of the file
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def target_values(table: pa.Table, target: str, classes: list[str] | None) -> np.ndarray:
    """Class indices (classification) or floats (regression) of the target column."""
    raw = table.column(target).to_pylist()
    if classes:
        found: np.ndarray = np.searchsorted(np.asarray(classes), np.asarray([str(v) for v in raw]))
        return found
    return np.asarray(raw, dtype=float)


def prepare_upload(
    table: pa.Table,
    target: str,
    classes: list[str] | None,
    spec: JobCreate,
    rows: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[SplitData, PreprocessingReport]:
    """Split (by ``spec.split``, or the given train/test ``rows``, e.g. one CV fold) and
    preprocess with statistics of the training rows."""
    settings: Preprocessing = spec.preprocessing
    features = spec.dataset.features or [c for c in table.column_names if c != target]
    y = target_values(table, target, classes)
    index = np.arange(table.num_rows)
    fraction = 0.0 if spec.split.kind == "kfold" else spec.split.test_fraction
    if rows is not None:
        train_idx, test_idx = rows
    elif fraction > 0:
        train_idx, test_idx = train_test_split(
            index,
            test_size=fraction,
            random_state=spec.split.seed,
            shuffle=True,
            stratify=y if spec.split.stratify else None,
        )
    else:
        train_idx, test_idx = index, index[:0]
    report = PreprocessingReport()
    missing = {name: np.asarray(table.column(name).is_null()) for name in features}
    if settings.missing in {"error", "drop_rows"}:
        train_idx, test_idx = _drop_missing(missing, index, (train_idx, test_idx), settings, report)
    kept = np.concatenate([train_idx, test_idx])
    blocks, names, fitted = [], [], []
    for name in features:
        column = table.column(name)
        if missing[name].any():
            report.imputed[name] = int(missing[name][kept].sum())
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            values = column.to_numpy(zero_copy_only=False).astype(float)
            block, fill = _impute(values, missing[name], train_idx, settings.missing, name)
            blocks.append(block)
            names.append(name)
            fitted.append(FittedColumn(name, "number", fill))
        else:
            block, categories, mode = _one_hot(column, missing[name], train_idx, settings, name)
            report.one_hot[name] = categories
            blocks.append(block)
            names += [f"{name}={c}" for c in categories]
            fitted.append(FittedColumn(name, "category", mode, categories))
    X = np.hstack(blocks) if blocks else np.empty((table.num_rows, 0))
    X_train, X_test = X[train_idx], X[test_idx]
    if settings.standardize:
        _standardize(X_train, X_test, names, set(features), report)
    columns = [replace(c, standardized=report.standardized.get(c.name)) for c in fitted]
    report.fitted = FittedPreprocessing(settings.missing, columns, train_idx)
    has_test = rows is not None or fraction > 0
    split = SplitData(
        X_train,
        y[train_idx],
        X_test if has_test else None,
        y[test_idx] if has_test else None,
        names,
    )
    return split, report


def _drop_missing(
    missing: dict[str, np.ndarray],
    index: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray],
    settings: Preprocessing,
    report: PreprocessingReport,
) -> tuple[np.ndarray, np.ndarray]:
    """Refuse missing values (error) or drop the rows that have them (drop_rows)."""
    train_idx, test_idx = rows
    any_missing = np.zeros(len(index), dtype=bool)
    for name, mask in missing.items():
        if mask.any() and settings.missing == "error":
            raise DataError(
                f"column {name!r} is missing in rows {_rows(mask, index)}; "
                "set preprocessing.missing to drop_rows or impute_*"
            )
        any_missing |= mask
    if any_missing.any():
        report.rows_dropped = {
            "train": int(any_missing[train_idx].sum()),
            "test": int(any_missing[test_idx].sum()),
        }
    return train_idx[~any_missing[train_idx]], test_idx[~any_missing[test_idx]]


def _impute(
    values: np.ndarray, mask: np.ndarray, train_idx: np.ndarray, strategy: str, name: str
) -> tuple[np.ndarray, float | None]:
    """The column with its missing cells filled (impute_*), and the fill value, fitted
    on the training rows whether or not any of them is missing (a model file fills a new
    row's missing cell with it)."""
    if not strategy.startswith("impute_"):
        return values[:, None], None
    fill = _fill_value(values[train_idx][~mask[train_idx]], strategy, name)
    if mask.any():
        values = np.where(mask, fill, values)
    return values[:, None], fill


def _one_hot(
    column: pa.ChunkedArray,
    mask: np.ndarray,
    train_idx: np.ndarray,
    settings: Preprocessing,
    name: str,
) -> tuple[np.ndarray, list[str], str | None]:
    """Indicator columns for the categories seen in the training rows (others: zeros),
    the categories, and what a missing cell becomes (impute_*: the training rows' most
    frequent value, the first in sorted order on a tie)."""
    if settings.categorical == "error":
        raise DataError(
            f"column {name!r} is not numeric; set preprocessing.categorical to one_hot "
            "or leave the column out of dataset.features"
        )
    text = np.asarray([None if v is None else str(v) for v in column.to_pylist()], dtype=object)
    mode = None
    if settings.missing.startswith("impute_"):
        counts = Counter(v for v in text[train_idx] if v is not None)
        mode = min(counts, key=lambda v: (-counts[v], v)) if counts else ""
        if mask.any():
            text = np.where(mask, mode, text)
    categories = sorted(set(text[train_idx]))
    if len(categories) > settings.max_categories:
        raise DataError(
            f"column {name!r} has {len(categories)} distinct values in the training rows, "
            f"more than preprocessing.max_categories={settings.max_categories}"
        )
    block = (text[:, None] == np.asarray(categories, dtype=object)[None, :]).astype(float)
    return block, categories, mode


def _standardize(
    X_train: np.ndarray,
    X_test: np.ndarray,
    names: list[str],
    numeric: set[str],
    report: PreprocessingReport,
) -> None:
    """Numeric columns to mean 0, std 1 on the training rows; one-hot columns stay 0/1."""
    for j, name in enumerate(names):
        if name in numeric:
            mean = float(X_train[:, j].mean())
            scale = float(X_train[:, j].std()) or 1.0
            X_train[:, j] = (X_train[:, j] - mean) / scale
            X_test[:, j] = (X_test[:, j] - mean) / scale
            report.standardized[name] = (mean, scale)


def _fill_value(values: np.ndarray, strategy: str, name: str) -> float:
    if len(values) == 0:
        raise DataError(f"column {name!r} has no values in the training rows to impute from")
    if strategy == "impute_mean":
        return float(values.mean())
    if strategy == "impute_median":
        return float(np.median(values))
    uniques, counts = np.unique(values, return_counts=True)
    return float(uniques[np.argmax(counts)])


def original_scale(
    coef: np.ndarray, intercept: float, names: list[str], report: PreprocessingReport
) -> tuple[list[float], float]:
    """Coefficients of a linear model on standardized columns, mapped back to the
    columns' own units: w / scale, and the intercept less sum(w * mean / scale)."""
    mapped, shift = [], 0.0
    for weight, name in zip(coef.tolist(), names, strict=True):
        mean, scale = report.standardized.get(name, (0.0, 1.0))
        mapped.append(weight / scale)
        shift += weight * mean / scale
    return mapped, intercept - shift
