"""Reversible encoding of a data frame into the float matrix the GAN trains on.

* Continuous, integer and datetime columns: mode-specific normalization (Xu et al. 2019, CTGAN,
  https://arxiv.org/abs/1907.00503). A Gaussian mixture is fitted per column on a capped sample of the
  standardized values; a value ``x`` in mode ``k`` is encoded as the scalar ``(z - mu_k) / (4 sigma_k)``
  clipped to [-0.99, 0.99] plus the one-hot of ``k``, where ``k`` is drawn from the posterior ``p(k | x)``.
  Missing values take an extra "missing" slot of the mode one-hot. Decoding clips to the observed range (and
  the user's bounds) and rounds integers and datetimes to their observed resolution, and decimal numbers to the
  most decimals their real values use (up to 6; genuinely continuous floats keep full precision).
* Categorical and boolean columns: one-hot over the ``max_categories`` most frequent categories, an "other"
  slot for the rarer ones (decoded by drawing from their empirical frequencies, so a column of 10,000
  categories costs ``max_categories + 2`` columns, not 10,000) and a "missing" slot.
* Constant columns cost nothing unless they have missing values.
* A *fixed combination* of columns is merged into one categorical column of the observed tuples, so only
  observed combinations are generated.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from polemos.errors import PolemosError
from polemos.tabular.layout import ColumnSpan

__all__ = ["Bounds", "ColumnModel", "TableTransformer", "quantile_map"]

NUMERIC_KINDS = ("continuous", "integer", "datetime")
_NS_PER_DAY = 86_400 * 10**9
_NS_PER_SECOND = 10**9
# real values with more decimals than this are treated as genuinely continuous (decoded at full precision)
MAX_DECIMALS = 6


@dataclass(frozen=True)
class Bounds:
    """User bounds for a numeric or datetime column; they always hold in the synthetic data.

    Attributes:
        min: Smallest allowed value (inclusive), or ``None``.
        max: Largest allowed value (inclusive), or ``None``.
        integer: Round generated values to integers.
    """

    min: float | None = None
    max: float | None = None
    integer: bool = False

    @classmethod
    def parse(cls, column: str, value: Bounds | Mapping[str, Any]) -> Bounds:
        """Builds bounds from a ``Bounds`` or a mapping with keys ``min``, ``max``, ``integer``."""
        if isinstance(value, Bounds):
            bounds = value
        else:
            unknown = set(value) - {"min", "max", "integer"}
            if unknown:
                raise PolemosError(
                    f"constraint for column {column!r} has unknown keys {sorted(unknown)}; use min, max, integer"
                )
            bounds = cls(value.get("min"), value.get("max"), bool(value.get("integer", False)))
        if bounds.min is not None and bounds.max is not None and bounds.min > bounds.max:
            raise PolemosError(
                f"constraint for column {column!r} has min {bounds.min} > max {bounds.max}; swap or fix them"
            )
        return bounds


@dataclass
class ColumnModel:
    """Fitted description of one encoded column; plain JSON-serializable fields so it can be saved safely.

    Attributes:
        name: Column name (for a fixed combination, the member names joined by ``"|"``).
        kind: ``continuous``, ``integer``, ``datetime``, ``categorical``, ``boolean``, ``constant`` or
            ``combination``.
        members: Source columns it decodes to (one, or several for a fixed combination).
        has_missing: Whether the column had missing values (they get their own one-hot slot).
        missing_rate: Observed share of missing values.
        mean, std: Standardization of numeric columns (in float units; datetimes in nanoseconds).
        lower, upper: Decoded values are clipped to this range (observed range intersected with user bounds).
        round_to: Decoded values are rounded to multiples of this (1 for integers, a day or a second for
            datetimes, ``10 ** -decimals`` for decimal numbers), or ``None``.
        decimals: For numbers, the most decimals the real values use (0 for whole numbers; at most
            ``MAX_DECIMALS``): decoded values are rounded to that many decimals. ``None`` for full precision
            (and in models saved before this field existed, which round with ``round_to`` alone).
        mode_means, mode_stds, mode_weights: The mixture, in standardized units.
        categories: Most frequent categories (for a combination: indices into ``combinations``).
        tail: Categories folded into the "other" slot, and ``tail_probs`` their frequencies.
        combinations: Observed tuples of a fixed combination (``None`` marks a missing member).
        value: The value of a constant column.
        calibration_generated, calibration_real: Quantiles (at evenly spaced levels) of the generator's and
            the real marginal; when set, decoded values go through the monotone map between them.
    """

    name: str
    kind: str
    members: list[str]
    has_missing: bool = False
    missing_rate: float = 0.0
    mean: float = 0.0
    std: float = 1.0
    lower: float | None = None
    upper: float | None = None
    round_to: float | None = None
    decimals: int | None = None
    mode_means: list[float] = field(default_factory=list)
    mode_stds: list[float] = field(default_factory=list)
    mode_weights: list[float] = field(default_factory=list)
    categories: list[Any] = field(default_factory=list)
    tail: list[Any] = field(default_factory=list)
    tail_probs: list[float] = field(default_factory=list)
    combinations: list[list[Any]] = field(default_factory=list)
    value: Any = None
    calibration_generated: list[float] = field(default_factory=list)
    calibration_real: list[float] = field(default_factory=list)

    @property
    def is_numeric(self) -> bool:
        """Whether the column is mode-normalized."""
        return self.kind in NUMERIC_KINDS

    @property
    def n_modes(self) -> int:
        """Number of mixture components."""
        return len(self.mode_means)

    @property
    def has_other(self) -> bool:
        """Whether the one-hot has an "other" slot for rare categories."""
        return bool(self.tail)

    @property
    def one_hot_width(self) -> int:
        """Width of the mode or category one-hot."""
        if self.is_numeric:
            return self.n_modes + int(self.has_missing)
        if self.kind == "constant":
            return 2 if self.has_missing else 0
        return len(self.categories) + int(self.has_other) + int(self.has_missing)

    def slot_labels(self) -> list[Any]:
        """The category of every one-hot slot, ``"<other>"`` and ``"<missing>"`` for the extra slots."""
        if self.kind == "constant":
            return [self.value, "<missing>"] if self.has_missing else []
        labels = list(self.categories)
        if self.has_other:
            labels.append("<other>")
        if self.has_missing:
            labels.append("<missing>")
        return labels


def _python(value: Any) -> Any:
    """Converts numpy scalars to Python scalars (JSON-serializable), missing to ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        raise PolemosError("a datetime value cannot be a category; leave datetime columns out of discrete_columns")
    return value


def _as_float_values(series: pd.Series, kind: str) -> np.ndarray:
    """Numeric view of a numeric or datetime column as float64, NaN where missing."""
    if kind == "datetime":
        values = series.dt.tz_convert("UTC").dt.tz_localize(None) if series.dt.tz is not None else series
        as_ns = values.astype("datetime64[ns]").to_numpy().astype("int64").astype("float64")
        as_ns[series.isna().to_numpy()] = np.nan
        return as_ns
    return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _count_decimals(values: np.ndarray) -> int | None:
    """The most decimals ``values`` use, or ``None`` when some value needs more than ``MAX_DECIMALS``.

    A value counts as having ``d`` decimals when it is the float nearest a number with ``d`` decimals, up to a
    relative error of 1e-12 (so ``0.1 + 0.2`` has 1 decimal); genuinely continuous floats have none of these.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # huge values overflow when scaled: never "short"
        for decimals in range(MAX_DECIMALS + 1):
            if np.all(np.abs(values - np.round(values, decimals)) <= 1e-12 * np.abs(values)):
                return decimals
    return None


def _on_grid(value: float, decimals: int, direction: Callable[[float], int]) -> float:
    """``value`` moved by ``direction`` (``math.ceil`` or ``math.floor``) onto the numbers with ``decimals``."""
    scale = 10**decimals
    # rounding the scaled value first keeps a value already on the grid (2.56 * 100 = 256.00000000000003) there
    return direction(round(value * scale, 6)) / scale


def _check_mixed(series: pd.Series) -> None:
    """Raises when a text column mixes numbers and text (a sign of a dirty column)."""
    values = series.dropna()
    if values.empty:
        return
    python_numbers = values.map(_is_number)
    if python_numbers.any() and not python_numbers.all():
        example = values[~python_numbers].iloc[0]
        raise PolemosError(
            f"column {series.name!r} mixes numbers and text (e.g. {example!r}); clean it, or declare it "
            f"discrete (discrete_columns / --discrete {series.name}) to treat every value as a category"
        )
    if python_numbers.all():
        return
    parsed = pd.to_numeric(values.astype(str), errors="coerce")
    share = float(parsed.notna().mean())
    if 0.5 <= share < 1.0:
        example = values[parsed.isna()].iloc[0]
        raise PolemosError(
            f"column {series.name!r} mixes numbers and text (e.g. {example!r}); clean it, or declare it "
            f"discrete (discrete_columns / --discrete {series.name}) to treat every value as a category"
        )


def _sorted_counts(values: pd.Series) -> list[tuple[Any, int]]:
    """Category counts, most frequent first, ties broken by the text of the value (deterministic)."""
    counts = values.value_counts(dropna=True)
    items = [(_python(value), int(count)) for value, count in counts.items()]
    return sorted(items, key=lambda item: (-item[1], str(item[0])))


def _fit_mixture(
    standardized: np.ndarray,  # non-missing standardized values, shape (n,)
    max_modes: int,  # upper bound on mixture components
    max_fit_rows: int,  # the mixture is fitted on at most this many values
    weight_threshold: float,  # components lighter than this are dropped
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fits a sparse (Dirichlet-process) Bayesian Gaussian mixture and returns means, stds, weights."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture

    if standardized.size > max_fit_rows:
        standardized = rng.choice(standardized, size=max_fit_rows, replace=False)
    n_unique = np.unique(standardized).size
    n_components = max(1, min(max_modes, n_unique))
    if n_unique <= 1:
        return np.array([float(standardized[0])]), np.array([1e-3]), np.array([1.0])
    mixture = BayesianGaussianMixture(
        n_components=n_components,
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=1e-3,  # sparse: unneeded components get ~0 weight
        max_iter=100,
        n_init=1,
        reg_covar=1e-6,
        random_state=int(rng.integers(2**31 - 1)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture.fit(standardized.reshape(-1, 1))
    keep = mixture.weights_ > weight_threshold
    means = mixture.means_[keep, 0]
    stds = np.sqrt(mixture.covariances_[keep].reshape(-1))
    weights = mixture.weights_[keep]
    order = np.argsort(means, kind="stable")
    return means[order], np.maximum(stds[order], 1e-3), weights[order] / weights[order].sum()


def quantile_map(values: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Monotone map sending the quantiles ``source`` (at evenly spaced levels) to ``target``.

    A value's level is interpolated between the source quantiles; a value equal to a run of tied source
    quantiles (a spike) takes the middle level of the run. The result is the target quantile at that level.
    """
    levels = np.linspace(0.0, 1.0, len(source))
    left = np.searchsorted(source, values, side="left")
    right = np.searchsorted(source, values, side="right")
    level = np.interp(values, source, levels)
    tied = right > left
    if tied.any():
        # middle level of the run source[left:right] == value
        level[tied] = (levels[left[tied]] + levels[right[tied] - 1]) / 2
    return np.interp(level, levels, target)


class TableTransformer:
    """Encodes a data frame into the GAN's float matrix and decodes generated matrices back into frames.

    Args:
        max_categories: One-hot width cap per categorical column; rarer categories share an "other" slot.
        max_modes: Mixture components per continuous column (before pruning).
        max_fit_rows: Mixtures are fitted on a random sample of at most this many values (speed).
        bounds: User bounds per numeric column.
        fixed_combinations: Groups of columns whose generated value tuples must have been observed.
    """

    def __init__(
        self,
        max_categories: int = 100,
        max_modes: int = 10,
        max_fit_rows: int = 5_000,
        bounds: Mapping[str, Bounds] | None = None,
        fixed_combinations: Sequence[Sequence[str]] = (),
    ) -> None:
        self.max_categories = max_categories
        self.max_modes = max_modes
        self.max_fit_rows = max_fit_rows
        self.bounds = dict(bounds or {})
        self.fixed_combinations = [list(group) for group in fixed_combinations]
        self.columns: list[str] = []
        self.dtypes: dict[str, str] = {}
        self.category_dtypes: dict[str, list[Any]] = {}
        self.models: list[ColumnModel] = []
        self.layout: tuple[ColumnSpan, ...] = ()

    # ------------------------------------------------------------------------------------------------
    # fitting

    def fit(self, frame: pd.DataFrame, discrete_columns: Sequence[str] | None, seed: int = 0) -> TableTransformer:
        """Detects column kinds and fits the per-column encodings.

        Args:
            frame: The training table.
            discrete_columns: Columns to treat as categorical; ``None`` auto-detects (text, categorical and
                boolean dtypes are discrete, numbers continuous).
            seed: Seed of the mixture fits and their sampling.

        Raises:
            PolemosError: For an empty table, an all-missing column, an unknown discrete or constrained
                column, or a column mixing numbers and text.
        """
        if frame.shape[0] == 0 or frame.shape[1] == 0:
            raise PolemosError("the table is empty (no rows or no columns); give a table with data")
        names = [str(name) for name in frame.columns]
        if len(set(names)) != len(names):
            raise PolemosError("the table has duplicate column names; rename the columns so each is unique")
        frame = frame.set_axis(names, axis=1)
        declared = list(discrete_columns) if discrete_columns is not None else []
        for name in [*declared, *self.bounds, *(n for group in self.fixed_combinations for n in group)]:
            if name not in frame.columns:
                raise PolemosError(
                    f"column {name!r} does not exist; valid columns: {', '.join(map(str, frame.columns))}"
                )
        grouped = [name for group in self.fixed_combinations for name in group]
        if len(set(grouped)) != len(grouped):
            raise PolemosError("a column appears in two fixed combinations; merge those groups into one")
        rng = np.random.default_rng(seed)
        self.columns = names
        self.dtypes = {name: str(frame[name].dtype) for name in names}
        self.category_dtypes = {
            name: [_python(value) for value in frame[name].cat.categories]
            for name in names
            if isinstance(frame[name].dtype, pd.CategoricalDtype)
        }
        self.models = []
        combination_of = {name: group for group in self.fixed_combinations for name in group}
        done: set[str] = set()
        for name in names:
            if name in done:
                continue
            series = frame[name]
            if series.isna().all():
                raise PolemosError(f"column {name!r} has only missing values; drop it before fitting")
            if name in combination_of:
                group = combination_of[name]
                self.models.append(self._fit_combination(frame, group))
                done.update(group)
                continue
            self.models.append(self._fit_column(series, name in declared, rng))
            done.add(name)
        self.layout = self._build_layout()
        return self

    def _fit_column(self, series: pd.Series, declared_discrete: bool, rng: np.random.Generator) -> ColumnModel:
        name = str(series.name)
        missing = series.isna()
        model = ColumnModel(name, "categorical", [name], bool(missing.any()), float(missing.mean()))
        dtype = series.dtype
        is_datetime = ptypes.is_datetime64_any_dtype(dtype)
        if is_datetime and declared_discrete:
            raise PolemosError(f"datetime column {name!r} cannot be discrete; remove it from the discrete columns")
        non_missing = series[~missing]
        is_bool = ptypes.is_bool_dtype(dtype) or (
            ptypes.is_object_dtype(dtype) and non_missing.map(lambda v: isinstance(v, (bool, np.bool_))).all()
        )
        is_number = not is_bool and not is_datetime and ptypes.is_numeric_dtype(dtype)
        if not (is_bool or is_datetime or is_number or declared_discrete):
            _check_mixed(series)
        if non_missing.nunique() == 1:
            model.kind = "constant"
            model.value = _python(non_missing.iloc[0])
            return model
        if is_bool or declared_discrete or not (is_datetime or is_number):
            model.kind = "boolean" if is_bool else "categorical"
            counts = _sorted_counts(non_missing if not declared_discrete else non_missing)
            head, tail = counts[: self.max_categories], counts[self.max_categories :]
            model.categories = [value for value, _ in head]
            if tail:
                total = sum(count for _, count in tail)
                model.tail = [value for value, _ in tail]
                model.tail_probs = [count / total for _, count in tail]
            return model
        model.kind = "datetime" if is_datetime else "continuous"
        values = _as_float_values(series, model.kind)
        observed = values[~np.isnan(values)]
        lower, upper = float(observed.min()), float(observed.max())
        if model.kind == "continuous" and np.all(observed == np.round(observed)):
            model.kind = "integer"
            model.round_to, model.decimals = 1.0, 0
        elif model.kind == "continuous":
            # synthetic values keep the precision of the real ones (48.2, not 48.20305906484113)
            model.decimals = _count_decimals(observed)
            model.round_to = None if model.decimals is None else 10.0**-model.decimals
        if model.kind == "datetime":
            as_int = observed.astype("int64")
            if np.all(as_int % _NS_PER_DAY == 0):
                model.round_to = float(_NS_PER_DAY)
            elif np.all(as_int % _NS_PER_SECOND == 0):
                model.round_to = float(_NS_PER_SECOND)
        bounds = self.bounds.get(name)
        if bounds is not None:
            if model.kind == "datetime":
                raise PolemosError(f"bounds on datetime column {name!r} are not supported; drop that constraint")
            lower = lower if bounds.min is None else max(lower, float(bounds.min))
            upper = upper if bounds.max is None else min(upper, float(bounds.max))
            if lower > upper:
                raise PolemosError(f"the bounds of column {name!r} exclude every observed value; widen min/max")
            if bounds.integer:
                model.round_to, model.decimals = 1.0, 0
        if model.decimals is not None:
            # the range's ends on the grid of rounded values, so rounding a value inside cannot leave it
            lower, upper = _on_grid(lower, model.decimals, math.ceil), _on_grid(upper, model.decimals, math.floor)
            if lower > upper:
                plural = "s" if model.decimals > 1 else ""
                precision = "whole number" if model.decimals == 0 else f"value with {model.decimals} decimal{plural}"
                raise PolemosError(f"the bounds of column {name!r} hold no {precision}; widen min/max")
        model.lower, model.upper = lower, upper
        model.mean = float(observed.mean())
        model.std = float(observed.std()) or 1.0
        means, stds, weights = _fit_mixture(
            (observed - model.mean) / model.std, self.max_modes, self.max_fit_rows, 5e-3, rng
        )
        model.mode_means, model.mode_stds, model.mode_weights = (
            means.tolist(),
            stds.tolist(),
            weights.tolist(),
        )
        return model

    def _fit_combination(self, frame: pd.DataFrame, group: list[str]) -> ColumnModel:
        keys = self._combination_keys(frame, group)
        tuples = frame[group].astype(object).where(frame[group].notna(), None)
        first_row = pd.Series(np.arange(len(frame))).groupby(keys).min()
        combinations = [[_python(v) for v in tuples.iloc[row].tolist()] for row in first_row.to_numpy()]
        model = ColumnModel("|".join(group), "combination", list(group))
        counts = np.bincount(keys, minlength=len(combinations))
        order = sorted(range(len(combinations)), key=lambda i: (-counts[i], str(combinations[i])))
        model.combinations = [combinations[i] for i in order]
        head, tail = order[: self.max_categories], order[self.max_categories :]
        rank = {old: new for new, old in enumerate(order)}
        model.categories = [rank[i] for i in head]
        if tail:
            total = float(counts[tail].sum())
            model.tail = [rank[i] for i in tail]
            model.tail_probs = [float(counts[i]) / total for i in tail]
        return model

    @staticmethod
    def _combination_keys(frame: pd.DataFrame, group: list[str]) -> np.ndarray:
        """Integer code of each row's value tuple over ``group``, in order of first appearance."""
        codes = [pd.factorize(frame[name], use_na_sentinel=False)[0].astype(np.int64) for name in group]
        combined = np.zeros(len(frame), dtype=np.int64)
        for code in codes:
            combined = combined * (int(code.max()) + 1) + code
        return pd.factorize(combined)[0]

    def _build_layout(self) -> tuple[ColumnSpan, ...]:
        spans: list[ColumnSpan] = []
        start = 0
        for model in self.models:
            if model.is_numeric:
                spans.append(ColumnSpan(model.name, "scalar", start, 1, "tanh"))
                start += 1
                spans.append(ColumnSpan(model.name, "mode", start, model.one_hot_width, "softmax"))
                start += model.one_hot_width
            elif model.one_hot_width > 0:
                width = model.one_hot_width
                spans.append(ColumnSpan(model.name, "category", start, width, "softmax", conditionable=width >= 2))
                start += width
        return tuple(spans)

    @property
    def width(self) -> int:
        """Number of encoded columns."""
        return self.layout[-1].end if self.layout else 0

    def model(self, name: str) -> ColumnModel:
        """The fitted model of the (merged) column ``name``."""
        for model in self.models:
            if model.name == name:
                return model
        raise KeyError(name)

    def model_of_column(self, column: str) -> ColumnModel:
        """The fitted model that decodes to source column ``column``."""
        for model in self.models:
            if column in model.members:
                return model
        raise KeyError(column)

    # ------------------------------------------------------------------------------------------------
    # encoding

    def transform(self, frame: pd.DataFrame, seed: int = 0) -> np.ndarray:
        """Encodes ``frame`` (the table the transformer was fitted on) as a float32 matrix."""
        frame = frame.set_axis([str(name) for name in frame.columns], axis=1)
        rng = np.random.default_rng(seed)
        encoded = np.zeros((len(frame), self.width), dtype=np.float32)
        spans = {(span.column, span.kind): span for span in self.layout}
        for model in self.models:
            if model.is_numeric:
                scalar, modes = self._encode_numeric(model, frame[model.name], rng)
                encoded[:, spans[(model.name, "scalar")].start] = scalar
                mode_span = spans[(model.name, "mode")]
                encoded[np.arange(len(frame)), mode_span.start + modes] = 1.0
            elif model.one_hot_width > 0:
                slots = self.category_slots(model, frame)
                encoded[np.arange(len(frame)), spans[(model.name, "category")].start + slots] = 1.0
        return encoded

    def _encode_numeric(
        self, model: ColumnModel, series: pd.Series, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        values = _as_float_values(series, model.kind)
        missing = np.isnan(values)
        standardized = (np.nan_to_num(values) - model.mean) / model.std
        means, stds = np.asarray(model.mode_means), np.asarray(model.mode_stds)
        # log w_k + log N(z; mu_k, sigma_k), vectorised over rows and modes
        log_joint = (
            np.log(np.asarray(model.mode_weights)) - np.log(stds) - 0.5 * ((standardized[:, None] - means) / stds) ** 2
        )
        posterior = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))
        cumulative = np.cumsum(posterior / posterior.sum(axis=1, keepdims=True), axis=1)
        modes = (cumulative < rng.random((len(values), 1))).sum(axis=1).clip(max=model.n_modes - 1)
        scalar = np.clip((standardized - means[modes]) / (4 * stds[modes]), -0.99, 0.99)
        scalar[missing] = 0.0
        modes[missing] = model.n_modes  # the "missing" slot
        return scalar.astype(np.float32), modes

    def category_slots(self, model: ColumnModel, frame: pd.DataFrame) -> np.ndarray:
        """The one-hot slot of every row of ``frame`` for a categorical, boolean, constant or combination."""
        n_categories = len(model.categories)
        if model.kind == "constant":
            return frame[model.name].isna().to_numpy().astype(np.int64)
        if model.kind == "combination":
            keys = self._combination_keys(frame, model.members)
            tuples = frame[model.members].astype(object).where(frame[model.members].notna(), None)
            index_of = {tuple(combo): i for i, combo in enumerate(model.combinations)}
            first_row = pd.Series(np.arange(len(frame))).groupby(keys).min()
            key_to_rank = np.array(
                [index_of.get(tuple(_python(v) for v in tuples.iloc[row].tolist()), -1) for row in first_row]
            )
            ranks = key_to_rank[keys]
            position = {rank: slot for slot, rank in enumerate(model.categories)}
            return np.array([position.get(int(r), n_categories) for r in ranks], dtype=np.int64)
        series = frame[model.name]
        missing = series.isna().to_numpy()
        lookup = pd.Index(pd.Series(model.categories, dtype=object))
        row_codes, uniques = pd.factorize(series)  # -1 for missing
        unique_slots = lookup.get_indexer(pd.Index([_python(value) for value in uniques], dtype=object))
        codes = np.where(row_codes >= 0, np.append(unique_slots, -1)[row_codes], -1)
        slots = np.where(codes >= 0, codes, n_categories)  # unknown -> the "other" slot
        if model.has_missing:
            slots = np.where(missing, n_categories + int(model.has_other), slots)
        return slots.astype(np.int64)

    def numeric_quantiles(self, frame: pd.DataFrame, model: ColumnModel, levels: np.ndarray) -> np.ndarray:
        """Quantiles of a numeric column's observed values at ``levels``."""
        values = _as_float_values(frame[model.name], model.kind)
        return np.quantile(values[~np.isnan(values)], levels)

    def one_hot_frequencies(self, encoded: np.ndarray) -> np.ndarray:
        """Column means of the encoded matrix: the observed frequency of every one-hot slot."""
        return encoded.mean(axis=0)

    # ------------------------------------------------------------------------------------------------
    # decoding

    def inverse_transform(self, encoded: np.ndarray, seed: int = 0) -> pd.DataFrame:
        """Decodes a generated matrix (activations already applied) into a frame with the input's schema."""
        rng = np.random.default_rng(seed)
        n = encoded.shape[0]
        spans = {(span.column, span.kind): span for span in self.layout}
        columns: dict[str, pd.Series] = {}
        for model in self.models:
            if model.is_numeric:
                scalar = encoded[:, spans[(model.name, "scalar")].start].astype(np.float64)
                mode_span = spans[(model.name, "mode")]
                modes = encoded[:, mode_span.start : mode_span.end].argmax(axis=1)
                columns[model.name] = self.decode_numeric(model, scalar, modes)
            else:
                if model.one_hot_width > 0:
                    span = spans[(model.name, "category")]
                    slots = encoded[:, span.start : span.end].argmax(axis=1)
                else:
                    slots = np.zeros(n, dtype=np.int64)
                columns.update(self.decode_slots(model, slots, rng))
        return self.restore_dtypes(columns, n)

    def decode_numeric(
        self, model: ColumnModel, scalar: np.ndarray, modes: np.ndarray, finish: bool = True
    ) -> pd.Series:
        """Float values (NaN for missing) of a numeric column from its scalar and mode index.

        With ``finish=False`` the raw mixture values are returned: no calibration, clipping or rounding.
        """
        missing = modes >= model.n_modes
        safe_modes = np.minimum(modes, model.n_modes - 1)
        means, stds = np.asarray(model.mode_means), np.asarray(model.mode_stds)
        standardized = np.clip(scalar, -1, 1) * 4 * stds[safe_modes] + means[safe_modes]
        values = standardized * model.std + model.mean
        if not finish:
            values[missing] = np.nan
            return pd.Series(values)
        if model.calibration_generated:
            values = quantile_map(values, np.asarray(model.calibration_generated), np.asarray(model.calibration_real))
        values = np.clip(values, model.lower, model.upper)
        if model.decimals is not None:
            # the float nearest each short decimal, so 48.2 is written as 48.2 (482 * 0.1 would not be)
            values = np.round(values, model.decimals)
        elif model.round_to is not None:
            values = np.round(values / model.round_to) * model.round_to
        if model.round_to is not None:
            # rounding may step outside the range: move back inside by one unit
            values = np.where(values < model.lower, values + model.round_to, values)
            values = np.where(values > model.upper, values - model.round_to, values)
        values[missing] = np.nan
        return pd.Series(values)

    def decode_slots(self, model: ColumnModel, slots: np.ndarray, rng: np.random.Generator) -> dict[str, pd.Series]:
        """Values of every member column from the one-hot slot of each row."""
        n = len(slots)
        if model.kind == "constant":
            values = np.full(n, model.value, dtype=object)
            values[slots == 1] = None
            return {model.name: pd.Series(values, dtype=object)}
        n_categories = len(model.categories)
        table = np.empty(n_categories + 2, dtype=object)
        table[:n_categories] = model.categories
        table[n_categories:] = None
        other_slot = n_categories if model.has_other else -1
        values = table[np.where(slots == other_slot, n_categories + 1, slots)]
        if model.has_other:
            is_other = slots == other_slot
            tail = np.empty(len(model.tail), dtype=object)
            tail[:] = model.tail
            drawn = rng.choice(len(model.tail), size=int(is_other.sum()), p=np.asarray(model.tail_probs))
            values[is_other] = tail[drawn]
        if model.kind != "combination":
            return {model.name: pd.Series(values, dtype=object)}
        members: dict[str, pd.Series] = {}
        combos = model.combinations
        for position, member in enumerate(model.members):
            column = np.empty(n, dtype=object)
            for row, index in enumerate(values):
                column[row] = None if index is None else combos[int(index)][position]
            members[member] = pd.Series(column, dtype=object)
        return members

    def restore_dtypes(self, columns: Mapping[str, pd.Series], n: int) -> pd.DataFrame:
        """Assembles decoded columns in the input's order with the input's dtypes."""
        restored: dict[str, pd.Series] = {}
        for name in self.columns:
            model = self.model_of_column(name)
            values = columns[name].reset_index(drop=True)
            restored[name] = self._cast(values, self.dtypes[name], model, name)
        return pd.DataFrame(restored, index=pd.RangeIndex(n))

    def _cast(self, values: pd.Series, dtype: str, model: ColumnModel, name: str) -> pd.Series:
        if model.kind == "datetime":
            as_int = values.to_numpy(dtype=np.float64)
            missing = np.isnan(as_int)
            stamps = pd.to_datetime(np.where(missing, 0, as_int).astype("int64"), unit="ns", utc="UTC" in dtype)
            series = pd.Series(stamps).where(~missing, pd.NaT)
            tz = pd.api.types.pandas_dtype(dtype)
            if getattr(tz, "tz", None) is not None:
                series = series.dt.tz_convert(tz.tz)
            return series.astype(dtype)
        if dtype == "category":
            return pd.Series(pd.Categorical(values, categories=self.category_dtypes[name]))
        target = pd.api.types.pandas_dtype(dtype)
        if ptypes.is_object_dtype(target):
            return values.astype(object).where(values.notna(), None)
        if ptypes.is_bool_dtype(target) and values.isna().any():
            return values.astype("boolean")
        if ptypes.is_integer_dtype(target) and not isinstance(target, pd.api.extensions.ExtensionDtype):
            if values.isna().any():
                return values.astype("Int64")
            return pd.to_numeric(values).astype(target)
        if ptypes.is_numeric_dtype(target):
            return pd.to_numeric(values).astype(target)
        return values.astype(target)

    # ------------------------------------------------------------------------------------------------
    # persistence

    def state(self) -> dict[str, Any]:
        """A JSON-serializable description of the fitted transformer."""
        return {
            "max_categories": self.max_categories,
            "max_modes": self.max_modes,
            "max_fit_rows": self.max_fit_rows,
            "bounds": {name: asdict(bounds) for name, bounds in self.bounds.items()},
            "fixed_combinations": self.fixed_combinations,
            "columns": self.columns,
            "dtypes": self.dtypes,
            "category_dtypes": self.category_dtypes,
            "models": [asdict(model) for model in self.models],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> TableTransformer:
        """Rebuilds a fitted transformer from :meth:`state`."""
        transformer = cls(
            max_categories=state["max_categories"],
            max_modes=state["max_modes"],
            max_fit_rows=state["max_fit_rows"],
            bounds={name: Bounds(**value) for name, value in state["bounds"].items()},
            fixed_combinations=state["fixed_combinations"],
        )
        transformer.columns = list(state["columns"])
        transformer.dtypes = dict(state["dtypes"])
        transformer.category_dtypes = dict(state["category_dtypes"])
        transformer.models = [ColumnModel(**model) for model in state["models"]]
        transformer.layout = transformer._build_layout()
        return transformer
