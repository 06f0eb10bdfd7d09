"""What the service can sweep and compare: checks of a sweep's or comparison's spec
beyond its schema, raising SpecError with the field's location. What each model and
regularizer kind allows comes from the registry (``api_schemas.kinds``)."""

from __future__ import annotations

from api_schemas import JobCreate, Regularizer
from api_schemas.comparisons import ComparisonCreate, Configuration
from api_schemas.kinds import MODELS, REGULARIZERS, engine_of, in_order, kinds_where
from api_schemas.sweeps import SweepCreate
from service.jobs.validation import SpecError, check_job_spec
from service.tables import UploadedDataset


def _names(kinds: frozenset[str], joiner: str = ", ") -> str:
    listed = in_order(kinds)
    return joiner.join(listed[:-1]) + f" or {listed[-1]}" if len(listed) > 1 else listed[0]


def _path_models() -> str:
    return " and ".join(k for k, m in MODELS.items() if m.path)


def _penalties(regularizers: list[Regularizer]) -> list[Regularizer]:
    return [r for r in regularizers if REGULARIZERS[r.kind].penalty]


def check_sweep_spec(spec: SweepCreate, uploaded: UploadedDataset | None = None) -> None:
    """What this service can sweep: the alpha of a scikit-learn model's penalty (and the
    l1_ratio of a path model's elastic_net), or a network's dropout rate or penalty alpha,
    on a built-in dataset or ``uploaded`` (the caller's dataset the base names)."""
    _check_grid_shape(spec)
    model = MODELS[spec.base.model.kind]
    if model.network:
        _check_network_sweep(spec, uploaded)
        return
    if spec.parameter == "rate":
        networks = kinds_where(lambda kind: "rate" in kind.sweeps)
        raise SpecError(
            ("base", "model", "kind"), f"a rate sweep varies a network's {_names(networks)}"
        )
    if engine_of(spec.base.model) != "sklearn":
        raise SpecError(
            ("base", "model", "kind"),
            "sweeps fit scikit-learn models (engine sklearn) and networks for now",
        )
    if spec.l1_ratios is not None and not model.path:
        raise SpecError(("grid", "l1_ratio"), f"l1_ratio grids are for {_path_models()}")
    if any(not v > 0 for v in spec.grid["alpha"].points()):
        raise SpecError(("grid", "alpha"), "alphas must be above 0")
    penalties = _penalties(spec.base.regularizers)
    if len(penalties) != 1:
        taken = frozenset(k for k in model.regularizers if REGULARIZERS[k].penalty)
        raise SpecError(
            ("base", "regularizers"), f"a sweep varies the alpha of one {_names(taken)}"
        )
    if spec.l1_ratios is not None and "l1_ratio" not in REGULARIZERS[penalties[0].kind].sweeps:
        mixes = kinds_where(lambda kind: "l1_ratio" in kind.sweeps)
        raise SpecError(
            ("base", "regularizers"), f"an l1_ratio grid varies the mix of an {_names(mixes)}"
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
        raise SpecError(("grid", "l1_ratio"), f"l1_ratio grids are for {_path_models()}")
    parameter = spec.parameter
    swept = kinds_where(lambda kind: parameter in kind.sweeps)
    found = [r.kind for r in spec.base.regularizers if r.kind in swept]
    if parameter == "rate":
        if not found:
            raise SpecError(
                ("base", "regularizers"), f"a rate sweep needs a {_names(swept)} regularizer"
            )
        if any(not 0 <= v < 1 for v in spec.grid["rate"].points()):
            raise SpecError(("grid", "rate"), "dropout rates lie in [0, 1)")
    else:
        if len(found) != 1:
            raise SpecError(
                ("base", "regularizers"),
                f"an alpha sweep of a network varies one {_names(swept)}; "
                f"this base has {len(found)}",
            )
        if any(not v > 0 for v in spec.grid["alpha"].points()):
            raise SpecError(("grid", "alpha"), "alphas must be above 0")
    _check_base(spec.base, uploaded)


def check_comparison_spec(spec: ComparisonCreate, uploaded: UploadedDataset | None = None) -> None:
    """A scikit-learn model (engine sklearn) or a network, on a built-in dataset or
    ``uploaded``; each configuration must be a valid job on the base."""
    model = MODELS[spec.base.model.kind]
    if not model.network and engine_of(spec.base.model) != "sklearn":
        raise SpecError(
            ("base", "model", "engine"), "comparisons of linear models run on engine sklearn"
        )
    if spec.base.regularizers:
        raise SpecError(("base", "regularizers"), "put regularizers in the configurations")
    for index, configuration in enumerate(spec.configurations):
        job = spec.base.model_copy(update={"regularizers": configuration.regularizers})
        if configuration.tune is not None:
            _check_tuning(configuration, index, model.path)
        try:
            check_job_spec(job, uploaded)
        except SpecError as exc:
            loc = exc.loc[1:]
            if loc and loc[0] == "regularizers":
                raise SpecError(("configurations", index, *loc), exc.message) from exc
            raise SpecError(("base", *loc), exc.message) from exc


def _check_tuning(configuration: Configuration, index: int, path: bool) -> None:
    loc = ("configurations", index)
    if not path:
        raise SpecError((*loc, "tune"), f"tune chooses the alpha of {_path_models()}")
    if len(_penalties(configuration.regularizers)) != 1:
        raise SpecError(
            (*loc, "regularizers"),
            f"tune chooses the alpha of one {_names(kinds_where(lambda k: k.penalty))}",
        )
    assert configuration.tune is not None
    if any(not v > 0 for v in configuration.tune.alpha.points()):
        raise SpecError((*loc, "tune", "alpha"), "alphas must be above 0")
