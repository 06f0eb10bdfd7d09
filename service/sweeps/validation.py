"""What the service can sweep and compare: checks of a sweep's or comparison's spec
beyond its schema, raising SpecError with the field's location."""

from __future__ import annotations

from api_schemas import (
    NETWORK_KINDS,
    PENALTY_KINDS,
    STRENGTH_KINDS,
    JobCreate,
    LinearRegressionSpec,
    LogisticRegressionSpec,
)
from api_schemas.comparisons import ComparisonCreate, Configuration
from api_schemas.sweeps import SweepCreate
from service.jobs.validation import SpecError, check_job_spec
from service.tables import UploadedDataset


def check_sweep_spec(spec: SweepCreate, uploaded: UploadedDataset | None = None) -> None:
    """What this service can sweep: the alpha (and l1_ratio) of a linear or logistic
    regression's penalty, or a network's dropout rate or penalty alpha, on a
    built-in dataset or ``uploaded`` (the caller's dataset the base names)."""
    _check_grid_shape(spec)
    if spec.base.model.kind in NETWORK_KINDS:
        _check_network_sweep(spec, uploaded)
        return
    if spec.parameter == "rate":
        raise SpecError(("base", "model", "kind"), "a rate sweep varies a network's dropout")
    model = spec.base.model
    linear = isinstance(model, LinearRegressionSpec | LogisticRegressionSpec)
    if not linear or getattr(model, "engine", "sklearn") != "sklearn":
        raise SpecError(
            ("base", "model", "kind"),
            "sweeps compute paths for linear and logistic regression (engine sklearn) for now",
        )
    if any(not v > 0 for v in spec.grid["alpha"].points()):
        raise SpecError(("grid", "alpha"), "alphas must be above 0")
    penalties = [r for r in spec.base.regularizers if r.kind in PENALTY_KINDS]
    if len(penalties) != 1:
        raise SpecError(
            ("base", "regularizers"), "a sweep varies the alpha of one l1, l2 or elastic_net"
        )
    if spec.l1_ratios is not None and penalties[0].kind != "elastic_net":
        raise SpecError(
            ("base", "regularizers"), "an l1_ratio grid varies the mix of an elastic_net"
        )
    _check_base(spec.base, uploaded)


def _check_grid_shape(spec: SweepCreate) -> None:
    """One parameter, or alpha with l1_ratio (a path over alpha for each l1_ratio)."""
    keys = set(spec.grid)
    if "l1_ratio" in keys and "alpha" not in keys:
        raise SpecError(
            ("grid", "alpha"), "an l1_ratio grid needs an alpha grid: each ratio gets a path"
        )
    if "rate" in keys and len(keys) > 1:
        raise SpecError(("grid",), "a rate grid goes alone; alpha pairs only with l1_ratio")
    if spec.l1_ratios is not None and any(not 0 <= v <= 1 for v in spec.l1_ratios):
        raise SpecError(("grid", "l1_ratio"), "l1_ratio values lie in [0, 1]")


def _check_base(base: JobCreate, uploaded: UploadedDataset | None) -> None:
    try:
        check_job_spec(base, uploaded)
    except SpecError as exc:
        raise SpecError(("base", *exc.loc[1:]), exc.message) from exc


def _check_network_sweep(spec: SweepCreate, uploaded: UploadedDataset | None) -> None:
    """A network's dropout rate, or the alpha of its one weight_decay, l1, l2 or
    elastic_net."""
    if spec.l1_ratios is not None:
        raise SpecError(("grid", "l1_ratio"), "l1_ratio grids are for linear and logistic models")
    if spec.parameter == "rate":
        if not any(r.kind == "dropout" for r in spec.base.regularizers):
            raise SpecError(("base", "regularizers"), "a rate sweep needs a dropout regularizer")
        if any(not 0 <= v < 1 for v in spec.grid["rate"].points()):
            raise SpecError(("grid", "rate"), "dropout rates lie in [0, 1)")
    else:
        strengths = [r.kind for r in spec.base.regularizers if r.kind in STRENGTH_KINDS]
        if len(strengths) != 1:
            raise SpecError(
                ("base", "regularizers"),
                "an alpha sweep of a network varies one weight_decay, l1, l2 or elastic_net; "
                f"this base has {len(strengths)}",
            )
        if any(not v > 0 for v in spec.grid["alpha"].points()):
            raise SpecError(("grid", "alpha"), "alphas must be above 0")
    _check_base(spec.base, uploaded)


def check_comparison_spec(spec: ComparisonCreate, uploaded: UploadedDataset | None = None) -> None:
    """Linear and logistic regression (scikit-learn) or a network, on a built-in dataset or
    ``uploaded``; each configuration must be a valid job on the base."""
    model = spec.base.model
    linear = isinstance(model, LinearRegressionSpec | LogisticRegressionSpec)
    if linear and getattr(model, "engine", "sklearn") != "sklearn":
        raise SpecError(
            ("base", "model", "engine"), "comparisons of linear models run on engine sklearn"
        )
    if spec.base.regularizers:
        raise SpecError(("base", "regularizers"), "put regularizers in the configurations")
    for index, configuration in enumerate(spec.configurations):
        job = spec.base.model_copy(update={"regularizers": configuration.regularizers})
        if configuration.tune is not None:
            _check_tuning(configuration, index, linear)
        try:
            check_job_spec(job, uploaded)
        except SpecError as exc:
            loc = exc.loc[1:]
            if loc and loc[0] == "regularizers":
                raise SpecError(("configurations", index, *loc), exc.message) from exc
            raise SpecError(("base", *loc), exc.message) from exc


def _check_tuning(configuration: Configuration, index: int, linear: bool) -> None:
    loc = ("configurations", index)
    if not linear:
        raise SpecError((*loc, "tune"), "tune chooses a linear or logistic model's alpha")
    penalties = [r for r in configuration.regularizers if r.kind in PENALTY_KINDS]
    if len(penalties) != 1:
        raise SpecError(
            (*loc, "regularizers"), "tune chooses the alpha of one l1, l2 or elastic_net"
        )
    assert configuration.tune is not None
    if any(not v > 0 for v in configuration.tune.alpha.points()):
        raise SpecError((*loc, "tune", "alpha"), "alphas must be above 0")
