"""Time-series data: validation, TimeGAN preprocessing, windows, the Sines set, and financial returns.

Conventions: a *series* is a 2-D array ``(T, F)`` (time by features); a *window set* is a 3-D array
``(N, T, F)``. Variable-length window sets are padded with NaN after the end of each sequence and carry a
boolean mask ``(N, T)`` that is True where a step is observed.

Bad input, and how it is handled (nothing is dropped silently):

* non-numeric columns: :class:`PolemosError` naming them (select numeric columns or drop them);
* a time column or ``DatetimeIndex`` that is unsorted: the rows are sorted by time (stable), reported in
  :attr:`SeriesTable.notes`; duplicate timestamps: :class:`PolemosError` (aggregate or drop them first);
* a numeric time column that cannot be time stamps (repeated values, or fractions out of order, as in a price
  column): :class:`PolemosError` saying it holds numbers, not dates; Unix seconds or step numbers are kept;
* NaN gaps, by ``nan_policy``: ``"drop-windows"`` (default) keeps only windows without any NaN, so no value is
  invented; ``"ffill"`` carries the last observation forward (leading NaNs are back-filled); ``"interpolate"``
  interpolates linearly in the row index; ``"raise"`` refuses;
* a series shorter than the window: :class:`PolemosError` naming both lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import optimize, special, stats
from torch import Tensor

from polemos.errors import PolemosError

__all__ = [
    "NAN_POLICIES",
    "SORTED_NOTE",
    "LambertWGaussianizer",
    "MinMaxScaler",
    "ReturnsTransform",
    "SeriesTable",
    "check_window_and_stride",
    "cut_windows",
    "lambert_w_gaussianize",
    "lambert_w_heavy_tail",
    "load_series_table",
    "load_stocks",
    "log_returns",
    "make_windows",
    "returns_to_prices",
    "shuffle_windows",
    "sine_windows",
    "timegan_windows",
    "validate_table",
]

NAN_POLICIES = ("drop-windows", "ffill", "interpolate", "raise")
_TIME_COLUMN_NAMES = ("date", "time", "timestamp", "datetime")
SORTED_NOTE = "rows were not in time order and were sorted by time stamp"  # in SeriesTable.notes


# ----------------------------------------------------------------------------------------------------
# Validation of user tables


@dataclass(frozen=True)
class SeriesTable:
    """A validated multivariate series.

    Attributes:
        values: Float array ``(T, F)``, rows in time order; may hold NaN (gaps) unless filled by the policy.
        columns: The ``F`` feature names, in order.
        index: The time stamps (or row numbers) of the ``T`` rows, after sorting.
        notes: Human-readable notes on what validation did (sorting, filling), for logs and saved configs.
    """

    values: np.ndarray
    columns: tuple[str, ...]
    index: np.ndarray
    notes: tuple[str, ...] = field(default=())


def validate_table(
    data: pd.DataFrame | np.ndarray,  # (T, F) table; a DataFrame may carry a time column or DatetimeIndex
    columns: Sequence[str] | None = None,  # features to keep, in order; None keeps every numeric-able column
    time_column: str | None = None,  # name of the time column; None auto-detects date/time/timestamp
    nan_policy: str = "drop-windows",  # one of NAN_POLICIES, see the module docstring
) -> SeriesTable:
    """Checks and orders a user table so it can be cut into windows.

    Args:
        data: A DataFrame or a 2-D array ``(T, F)``.
        columns: Names of the feature columns to keep; None keeps all columns except the time column.
        time_column: A column holding time stamps; None picks a column named date/time/timestamp/datetime
            (case-insensitive) when there is one.
        nan_policy: How NaN gaps are handled; ``"drop-windows"`` leaves NaN in place for :func:`make_windows`.

    Returns:
        The validated :class:`SeriesTable`.

    Raises:
        PolemosError: On non-numeric columns, unknown column names, duplicate time stamps, an unknown
            ``nan_policy``, NaN under ``"raise"``, or an empty table.
    """
    if nan_policy not in NAN_POLICIES:
        raise PolemosError(f"unknown nan_policy {nan_policy!r}; use one of {', '.join(NAN_POLICIES)}")
    notes: list[str] = []
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise PolemosError(
                f"expected a 2-D array (time, features), got shape {data.shape}; reshape it or pass windows"
            )
        frame = pd.DataFrame(data, columns=[f"x{i}" for i in range(data.shape[1])])
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
    else:
        raise PolemosError(f"expected a pandas DataFrame or numpy array, got {type(data).__name__}")
    if len(frame) == 0:
        raise PolemosError("the series is empty; pass a table with at least one row")

    # Time ordering: a named/auto-detected time column, else a DatetimeIndex.
    named = time_column is not None
    if time_column is None:
        candidates = [c for c in frame.columns if str(c).strip().lower() in _TIME_COLUMN_NAMES]
        time_column = candidates[0] if candidates else None
    elif time_column not in frame.columns:
        raise PolemosError(f"time column {time_column!r} not found; choose one of {', '.join(map(str, frame.columns))}")
    numbers = None  # a numeric time column, as written
    if time_column is not None:
        try:
            times = pd.to_datetime(frame[time_column])
        except (ValueError, TypeError):
            raise PolemosError(_bad_time_message(frame[time_column], str(time_column))) from None
        if pd.api.types.is_numeric_dtype(frame[time_column]):
            numbers = frame[time_column]
        problem = _numeric_time_problem(frame[time_column], times)
        if problem:
            fix = (
                "drop --time-column to keep the file's row order, or name the date column with --time-column"
                if named
                else "rename it if it is not a time stamp, or name the date column with --time-column (time_column=...)"
            )
            raise PolemosError(f"time column {str(time_column)!r} holds numbers, not dates: {problem}; {fix}")
        frame = frame.drop(columns=[time_column])
        frame.index = pd.DatetimeIndex(times)
    if isinstance(frame.index, pd.DatetimeIndex):
        duplicated = frame.index.duplicated(keep=False)
        if duplicated.any():
            first = frame.index[duplicated][0]
            if numbers is not None:  # the number as written, not as nanoseconds since 1970
                row = int(np.argmax(duplicated))
                first = f"{numbers.iloc[row].item()!r}, data row {row + 1}"
            raise PolemosError(
                f"{int(duplicated.sum())} rows share a time stamp (first: {first}); "
                "aggregate or drop duplicate time stamps before fitting"
            )
        if not frame.index.is_monotonic_increasing:
            frame = frame.sort_index(kind="stable")
            notes.append(SORTED_NOTE)

    if columns is not None:
        repeated = list(dict.fromkeys(c for c in columns if list(columns).count(c) > 1))
        if repeated:  # frame[["a", "a"]] is a frame whose column "a" is itself a frame: misleading errors later
            raise PolemosError(
                f"columns lists {', '.join(map(str, repeated))} more than once; name each column once (--columns a,b)"
            )
        missing = [c for c in columns if c not in frame.columns]
        if time_column is not None and time_column in missing:
            raise PolemosError(
                f"{time_column!r} is the time column (it orders the rows); choose feature columns among "
                f"{', '.join(map(str, frame.columns))}"
            )
        if missing:
            raise PolemosError(
                f"column(s) {', '.join(map(str, missing))} not found; available: {', '.join(map(str, frame.columns))}"
            )
        frame = frame[list(columns)]
    non_numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        first = non_numeric[0]
        # the first offending cell, counted in the caller's row order (the file's data rows)
        original = data[first] if isinstance(data, pd.DataFrame) and first in data.columns else frame[first]
        text = original.notna() & pd.to_numeric(original, errors="coerce").isna()
        position = int(np.argmax(text.to_numpy())) if text.any() else 0
        raise PolemosError(
            f"non-numeric column(s) {', '.join(map(str, non_numeric))}: column {str(first)!r} has "
            f"{int(text.sum())} non-numeric value(s), the first {original.iloc[position]!r} in data row "
            f"{position + 1}; fix those values, or select numeric columns (--columns a,b)"
        )
    if frame.shape[1] == 0:
        raise PolemosError("no feature columns left; pass at least one numeric column")
    values = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(values[~np.isnan(values)]).all():
        raise PolemosError("the series holds infinite values; replace them with NaN or finite numbers")

    n_missing = int(np.isnan(values).sum())
    if n_missing:
        if nan_policy == "raise":
            raise PolemosError(
                f"the series has {n_missing} NaN values; fill them, or choose another --nan-policy (nan_policy): "
                f"{', '.join(NAN_POLICIES)}"
            )
        if nan_policy == "ffill":
            values = pd.DataFrame(values).ffill().bfill().to_numpy()
            notes.append(f"{n_missing} NaN values forward-filled (leading ones back-filled)")
        elif nan_policy == "interpolate":
            values = pd.DataFrame(values).interpolate(limit_direction="both").to_numpy()
            notes.append(f"{n_missing} NaN values linearly interpolated")
        else:
            notes.append(f"{n_missing} NaN values; windows that contain any NaN are dropped")
        empty = [str(c) for c, all_nan in zip(frame.columns, np.isnan(values).all(axis=0), strict=True) if all_nan]
        if empty:
            raise PolemosError(
                f"column(s) {', '.join(empty)} are entirely NaN; leave them out (--columns) or fill them before fitting"
            )
    index = frame.index.to_numpy()
    return SeriesTable(values=values, columns=tuple(str(c) for c in frame.columns), index=index, notes=tuple(notes))


# file types a series CSV is sometimes confused with
_NOT_CSV = {
    ".npy": "NumPy array",
    ".npz": "NumPy archive",
    ".parquet": "Parquet file",
    ".pq": "Parquet file",
    ".xlsx": "spreadsheet",
    ".xls": "spreadsheet",
}


def load_series_table(
    path: str | Path,  # CSV file, one row per time step
    columns: Sequence[str] | None = None,  # features to keep
    time_column: str | None = None,  # time stamps; None auto-detects
    nan_policy: str = "drop-windows",  # see validate_table
) -> SeriesTable:
    """Reads a CSV file and validates it with :func:`validate_table`.

    Raises:
        PolemosError: If the file is missing or unreadable, or validation fails.
    """
    path = Path(path)
    if path.is_dir():
        raise PolemosError(f"{path} is a folder, not a file; pass the path of a CSV file")
    if not path.is_file():
        raise PolemosError(f"data file {path} not found; pass the path of a CSV file")
    if path.suffix.lower() in _NOT_CSV:  # binary formats: read as CSV they fail as "not UTF-8 text"
        raise PolemosError(f"{path} is a {_NOT_CSV[path.suffix.lower()]}, not CSV; export the series as a .csv file")
    try:
        frame = pd.read_csv(path)
    except UnicodeDecodeError as error:
        raise PolemosError(
            f"cannot read {path} as CSV: it is not UTF-8 text ({error}); re-save it as UTF-8 comma-separated CSV"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise PolemosError(f"cannot read {path} as CSV ({first_line}); pass a comma-separated file") from None
    header = str(frame.columns[0]) if frame.shape[1] == 1 else ""
    for separator, name in ((";", "semicolon"), ("\t", "tab")):
        if separator in header:  # one column whose name holds the real header: another separator
            raise PolemosError(
                f"{path} reads as one column {header!r}: is it {name}-separated? polemos reads comma-separated CSV; "
                "re-save it with commas"
            )
    return validate_table(frame, columns=columns, time_column=time_column, nan_policy=nan_policy)


def _numeric_time_problem(column: pd.Series, times: pd.Series) -> str | None:
    """Why a numeric time column cannot be time stamps (``None``: it can, or it is not numeric).

    Numbers are read as nanoseconds since 1970. Whole numbers that do not repeat (Unix seconds, step numbers)
    and increasing numbers are kept as before, and repeats in sorted numbers are duplicate time stamps; values
    that repeat out of order, or fractions out of order or colliding once cut to whole nanoseconds, are a price
    or a measurement named by mistake.
    """
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return None
    values = column.to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    repeated = pd.Series(values).duplicated(keep=False).to_numpy() & finite
    if repeated.any() and not (np.diff(values[finite]) >= 0).all():  # in order: duplicate time stamps, below
        position = int(np.argmax(repeated))
        return (
            f"{int(repeated.sum())} rows repeat a value (the first, {column.iloc[position].item()!r}, "
            f"in data row {position + 1})"
        )
    fractional = finite & (values != np.round(values))
    if not fractional.any():
        return None
    increasing = bool((np.diff(values[finite]) > 0).all())
    if increasing and not times.duplicated().any():
        return None
    position = int(np.argmax(fractional))
    where = f"(the first, {column.iloc[position].item()!r}, in data row {position + 1})"
    if not increasing:
        return f"they have fractions {where} and are not in increasing order"
    return f"they have fractions {where} that time stamps in whole nanoseconds cannot tell apart"


def _bad_time_message(times: pd.Series, name: str) -> str:
    """One line naming the first value of a time column that is not a date (and its data row)."""
    parsed = pd.to_datetime(times, errors="coerce", format="mixed")
    bad = (times.notna() & parsed.isna()).to_numpy()
    where = ""
    if bad.any():
        position = int(np.argmax(bad))
        where = f" ({times.iloc[position]!r}, data row {position + 1})"
    return (
        f"time column {name!r} has a value that is not a date{where}; fix it, or name another column with "
        "--time-column (time_column=...)"
    )


# ----------------------------------------------------------------------------------------------------
# Windows and the TimeGAN protocol


@dataclass(frozen=True)
class MinMaxScaler:
    """Per-feature min-max scaling ``(x - min) / (max - min + eps)``, as in TimeGAN's ``MinMaxScaler``.

    Attributes:
        minimum: Per-feature minimum, shape ``(F,)``.
        maximum: Per-feature maximum, shape ``(F,)``.
        eps: Added to the range so constant features do not divide by zero (TimeGAN uses 1e-7).
    """

    minimum: np.ndarray
    maximum: np.ndarray
    eps: float = 1e-7

    @classmethod
    def fit(cls, values: np.ndarray) -> MinMaxScaler:
        """Fits on ``values`` of shape ``(..., F)``, ignoring NaN."""
        flat = values.reshape(-1, values.shape[-1])
        return cls(minimum=np.nanmin(flat, axis=0), maximum=np.nanmax(flat, axis=0))

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Maps to [0, 1] per feature."""
        return (values - self.minimum) / (self.maximum - self.minimum + self.eps)

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        """Maps scaled values back to data units; a constant feature maps back to its one value exactly."""
        # without the exception a constant feature came back as value + eps * scaled: off by up to 1e-7, which
        # rescaled evaluation (and any test of equality) then read as noise
        unscaled = scaled * (self.maximum - self.minimum + self.eps) + self.minimum
        return np.where(self.maximum > self.minimum, unscaled, self.minimum)


def check_window_and_stride(window: object, stride: object) -> None:
    """Fails with one line unless ``window`` and ``stride`` are whole numbers of steps >= 1."""
    for name, value in (("window", window), ("stride", stride)):
        # a float or bool would fail deep inside numpy's striding with a TypeError
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise PolemosError(
                f"{name} must be a whole number of steps >= 1, got {value!r}; pass --{name} N ({name}=N)"
            )


def cut_windows(values: np.ndarray, window: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """:func:`make_windows` and the first row of each kept window in ``values``.

    Returns:
        ``(windows (N, window, F), starts (N,))``.
    """
    check_window_and_stride(window, stride)
    length = values.shape[0]
    if length < window:
        raise PolemosError(
            f"the series has {length} step{'' if length == 1 else 's'}, shorter than the window of {window}; "
            + (
                f"use a window of at most {length} steps (--window {length}) or a longer series"
                if length
                else "pass a longer series"
            )
        )
    windows = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)[::stride]
    windows = np.ascontiguousarray(np.moveaxis(windows, -1, 1))  # (N, F, window) -> (N, window, F)
    complete = ~np.isnan(windows).any(axis=(1, 2))
    if not complete.any():
        raise PolemosError(
            f"every window of {window} steps contains a NaN; fill the gaps (nan_policy 'ffill' or "
            "'interpolate') or use a shorter window"
        )
    return windows[complete], (np.arange(len(windows)) * stride)[complete]


def make_windows(
    values: np.ndarray,  # (T, F) series, may hold NaN
    window: int,  # steps per window
    stride: int = 1,  # steps between window starts
) -> np.ndarray:
    """Cuts all windows ``values[s : s + window]`` for ``s = 0, stride, ...`` and drops those holding NaN.

    Returns:
        Array ``(N, window, F)`` (a copy).

    Raises:
        PolemosError: If the series is shorter than ``window`` or no NaN-free window remains.
    """
    return cut_windows(values, window, stride)[0]


def shuffle_windows(windows: np.ndarray, seed: int | None) -> np.ndarray:
    """Returns the windows in a random order (a permutation of the first axis)."""
    return windows[np.random.default_rng(seed).permutation(len(windows))]


def timegan_windows(
    values: np.ndarray,  # (T, F) raw series in file order
    window: int = 24,  # sequence length of the protocol
    reverse: bool = True,  # TimeGAN reverses the file (its loader does data[::-1])
    seed: int | None = 0,  # shuffle seed; None leaves the windows in time order
) -> tuple[np.ndarray, MinMaxScaler]:
    """The TimeGAN preprocessing (BENCHMARKS.md §5): reverse, min-max over the whole series, windows, shuffle.

    Args:
        values: Raw series ``(T, F)`` in file order.
        window: Window length (24 in the protocol).
        reverse: Flip the time axis first, as TimeGAN's ``real_data_loading`` does.
        seed: Seed of the shuffle.

    Returns:
        ``(windows (T - window, window, F) in [0, 1], scaler)``.
    """
    series = values[::-1] if reverse else values
    scaler = MinMaxScaler.fit(series)
    # TimeGAN loops over range(len - window): the last window is omitted (3,685 rows -> 3,661 windows)
    windows = make_windows(scaler.transform(series), window, stride=1)[:-1]
    if seed is not None:
        windows = shuffle_windows(windows, seed)
    return windows, scaler


def load_stocks(path: str | Path, window: int = 24, seed: int | None = 0) -> np.ndarray:
    """Loads TimeGAN's ``stock_data.csv`` and returns the shuffled, scaled windows ``(3661, 24, 6)``."""
    table = load_series_table(path, nan_policy="raise")
    windows, _ = timegan_windows(table.values, window=window, seed=seed)
    return windows


def sine_windows(
    n: int = 10_000,  # number of sequences
    length: int = 24,  # steps per sequence
    features: int = 5,  # independent sine features
    seed: int | None = 0,  # RNG seed
) -> np.ndarray:
    """TimeGAN's Sines: ``sin(f t + phi)`` per feature with ``f, phi ~ U(0, 0.1)``, rescaled to [0, 1].

    TimeGAN's generator (``sine_data_generation``) computes ``sin(freq * j + phase)`` for ``j = 0..length-1``
    and maps it to ``(x + 1) / 2``; BENCHMARKS.md writes the same signal with the frequency as ``2 pi f``.

    Returns:
        Array ``(n, length, features)`` in [0, 1].
    """
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.0, 0.1, size=(n, 1, features))
    phase = rng.uniform(0.0, 0.1, size=(n, 1, features))
    steps = np.arange(length, dtype=np.float64).reshape(1, length, 1)
    return (np.sin(frequency * steps + phase) + 1.0) / 2.0


# ----------------------------------------------------------------------------------------------------
# Financial returns


def log_returns(prices: np.ndarray) -> np.ndarray:
    """Log returns ``r_t = log p_t - log p_{t-1}`` along axis 0 (one fewer row).

    Raises:
        PolemosError: If a price is not strictly positive.
    """
    prices = np.asarray(prices, dtype=np.float64)
    if (prices[~np.isnan(prices)] <= 0).any():
        raise PolemosError("prices must be strictly positive to take log returns; pass prices, not returns")
    return np.diff(np.log(prices), axis=0)


def returns_to_prices(returns: np.ndarray, initial_price: float | np.ndarray = 1.0, axis: int = -2) -> np.ndarray:
    """Turns log returns into prices ``p_t = p_0 exp(sum_{s<=t} r_s)``, prepending ``p_0``.

    Args:
        returns: Log returns with time along ``axis`` (default: the second-to-last, as in ``(N, T, F)``).
        initial_price: Price at time 0, broadcast against the other axes.
        axis: The time axis.

    Returns:
        Prices with one more step than ``returns`` along ``axis``.
    """
    returns = np.moveaxis(np.asarray(returns, dtype=np.float64), axis, 0)
    cumulative = np.concatenate([np.zeros_like(returns[:1]), np.cumsum(returns, axis=0)], axis=0)
    return np.moveaxis(np.asarray(initial_price) * np.exp(cumulative), 0, axis)


def lambert_w_heavy_tail(gaussian: np.ndarray, delta: float | np.ndarray) -> np.ndarray:
    """Goerg's heavy-tail Lambert W x Gaussian map ``z = u exp(delta u^2 / 2)`` (delta >= 0).

    Goerg 2015, "The Lambert Way to Gaussianize heavy-tailed data", https://arxiv.org/abs/1010.2265
    """
    return gaussian * np.exp(0.5 * np.asarray(delta) * gaussian**2)


def lambert_w_gaussianize(heavy: np.ndarray, delta: float | np.ndarray) -> np.ndarray:
    """Inverse of :func:`lambert_w_heavy_tail`: ``u = sign(z) sqrt(W(delta z^2) / delta)``.

    ``W`` is the principal branch of the Lambert W function; at ``delta = 0`` the map is the identity.
    """
    delta = np.broadcast_to(np.asarray(delta, dtype=np.float64), np.shape(heavy)[-1:] or ())
    heavy = np.asarray(heavy, dtype=np.float64)
    safe_delta = np.where(delta > 0, delta, 1.0)
    # W(delta z^2) is real and >= 0 for delta z^2 >= 0
    inverted = np.sign(heavy) * np.sqrt(np.real(special.lambertw(safe_delta * heavy**2)) / safe_delta)
    return np.where(delta > 0, inverted, heavy)


def _estimate_delta(standardized: np.ndarray) -> float:
    """Tail parameter delta whose Gaussianized data have kurtosis 3 (Goerg's IGMM moment condition)."""
    finite = standardized[np.isfinite(standardized)]

    def excess_kurtosis(delta: float) -> float:
        return float(stats.kurtosis(lambert_w_gaussianize(finite, delta), fisher=True))

    if excess_kurtosis(0.0) <= 0:  # already light-tailed: nothing to Gaussianize
        return 0.0
    upper = 1.0
    while excess_kurtosis(upper) > 0 and upper < 64:
        upper *= 2
    if excess_kurtosis(upper) > 0:
        return upper
    return float(optimize.brentq(excess_kurtosis, 0.0, upper, xtol=1e-6))


def _heavy_tail_slope(gaussian: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Derivative of ``u exp(delta u^2 / 2)``: ``exp(delta u^2 / 2) (1 + delta u^2)``."""
    return np.exp(0.5 * delta * gaussian**2) * (1.0 + delta * gaussian**2)


@dataclass(frozen=True)
class LambertWGaussianizer:
    """Per-feature inverse Lambert W transform that makes heavy-tailed data close to Gaussian.

    The heavy-tail map ``u exp(delta u^2 / 2)`` grows faster than any exponential, so a generated Gaussian-space
    value a little beyond the data becomes an absurd return (S&P 500 2009-2018: ``delta = 0.415``; after the final
    standardisation of :class:`ReturnsTransform`, 5 maps to a 43 % daily return and 8 to 3,660 %, while the
    largest real one is 6.9 %). Beyond the most extreme Gaussianized training values ``lower`` / ``upper``, both
    directions therefore continue the map linearly with its slope at the bound: exact on the range of the data,
    continuous, increasing and invertible everywhere, and only linear (not super-exponential) in the tails.

    Attributes:
        delta: Tail parameter per feature, shape ``(F,)``; 0 means no transform.
        lower: Smallest Gaussianized training value per feature (``(F,)``, at most 0), or None: no linear tails
            (models saved before the bounds existed).
        upper: Largest Gaussianized training value per feature (``(F,)``, at least 0), or None.
    """

    delta: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None

    @classmethod
    def fit(cls, standardized: np.ndarray) -> LambertWGaussianizer:
        """Estimates delta per feature on standardized data ``(..., F)`` and records the Gaussianized range."""
        flat = standardized.reshape(-1, standardized.shape[-1])
        delta = np.array([_estimate_delta(flat[:, j]) for j in range(flat.shape[1])])
        gaussian = lambert_w_gaussianize(flat, delta)
        return cls(
            delta=delta,
            lower=np.minimum(np.nanmin(gaussian, axis=0), 0.0),
            upper=np.maximum(np.nanmax(gaussian, axis=0), 0.0),
        )

    def _bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Bounds in both spaces and the map's slope at each bound."""
        assert self.lower is not None and self.upper is not None
        lower, upper = np.asarray(self.lower, dtype=np.float64), np.asarray(self.upper, dtype=np.float64)
        return (
            lower,
            upper,
            lambert_w_heavy_tail(lower, self.delta),
            lambert_w_heavy_tail(upper, self.delta),
            _heavy_tail_slope(lower, self.delta),
            _heavy_tail_slope(upper, self.delta),
        )

    def transform(self, standardized: np.ndarray) -> np.ndarray:
        """Heavy-tailed -> Gaussian-like."""
        gaussian = lambert_w_gaussianize(standardized, self.delta)
        if self.lower is None or self.upper is None:
            return gaussian
        lower, upper, heavy_lower, heavy_upper, slope_lower, slope_upper = self._bounds()
        standardized = np.asarray(standardized, dtype=np.float64)
        # the inverse of the linear tails of `inverse`
        gaussian = np.where(standardized > heavy_upper, upper + (standardized - heavy_upper) / slope_upper, gaussian)
        return np.where(standardized < heavy_lower, lower + (standardized - heavy_lower) / slope_lower, gaussian)

    def inverse(self, gaussian: np.ndarray) -> np.ndarray:
        """Gaussian-like -> heavy-tailed (linear beyond the training range, see the class docstring)."""
        # one implementation: the differentiable one, in float64
        return self.inverse_tensor(torch.from_numpy(np.asarray(gaussian, dtype=np.float64))).numpy()

    def inverse_tensor(self, gaussian: Tensor) -> Tensor:
        """:meth:`inverse` on a tensor ``(..., F)``, differentiable (for losses on data-space returns)."""
        options = {"dtype": gaussian.dtype, "device": gaussian.device}
        delta = torch.as_tensor(self.delta, **options)
        if self.lower is None or self.upper is None:
            return gaussian * torch.exp(0.5 * delta * gaussian.square())
        lower, upper, heavy_lower, heavy_upper, slope_lower, slope_upper = (
            torch.as_tensor(bound, **options) for bound in self._bounds()
        )
        # inside the range the exact map; clipping first keeps exp() finite for far-out values
        inside = torch.minimum(torch.maximum(gaussian, lower), upper)
        heavy = inside * torch.exp(0.5 * delta * inside.square())  # u exp(delta u^2 / 2)
        heavy = torch.where(gaussian > upper, heavy_upper + slope_upper * (gaussian - upper), heavy)
        return torch.where(gaussian < lower, heavy_lower + slope_lower * (gaussian - lower), heavy)


@dataclass(frozen=True)
class ReturnsTransform:
    """QuantGAN preprocessing of log returns: standardise, inverse Lambert W, standardise again.

    Wiese et al. 2020, "Quant GANs: deep generation of financial time series", https://arxiv.org/abs/1907.06673

    Attributes:
        mean: Per-feature mean of the returns, ``(F,)``.
        std: Per-feature standard deviation of the returns, ``(F,)``.
        gaussianizer: The fitted inverse Lambert W map.
        gaussian_mean: Per-feature mean after Gaussianizing, ``(F,)``.
        gaussian_std: Per-feature standard deviation after Gaussianizing, ``(F,)``.
    """

    mean: np.ndarray
    std: np.ndarray
    gaussianizer: LambertWGaussianizer
    gaussian_mean: np.ndarray
    gaussian_std: np.ndarray

    @classmethod
    def fit(cls, returns: np.ndarray) -> ReturnsTransform:
        """Fits on returns ``(T, F)`` (NaN ignored)."""
        flat = returns.reshape(-1, returns.shape[-1])
        mean, std = np.nanmean(flat, axis=0), np.nanstd(flat, axis=0)
        if (std <= 0).any():
            raise PolemosError("a returns column is constant; drop it before fitting")
        standardized = (flat - mean) / std
        gaussianizer = LambertWGaussianizer.fit(standardized)
        gaussian = gaussianizer.transform(standardized)
        return cls(mean, std, gaussianizer, np.nanmean(gaussian, axis=0), np.nanstd(gaussian, axis=0))

    def transform(self, returns: np.ndarray) -> np.ndarray:
        """Returns -> model space (about N(0, 1) per feature)."""
        gaussian = self.gaussianizer.transform((returns - self.mean) / self.std)
        return (gaussian - self.gaussian_mean) / self.gaussian_std

    def inverse(self, model_values: np.ndarray) -> np.ndarray:
        """Model space -> returns."""
        gaussian = model_values * self.gaussian_std + self.gaussian_mean
        return self.gaussianizer.inverse(gaussian) * self.std + self.mean

    def inverse_tensor(self, model_values: Tensor) -> Tensor:
        """:meth:`inverse` on a tensor ``(..., F)``, differentiable."""
        options = {"dtype": model_values.dtype, "device": model_values.device}
        gaussian = model_values * torch.as_tensor(self.gaussian_std, **options) + torch.as_tensor(
            self.gaussian_mean, **options
        )
        heavy = self.gaussianizer.inverse_tensor(gaussian)
        return heavy * torch.as_tensor(self.std, **options) + torch.as_tensor(self.mean, **options)

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready parameters."""
        state = {
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "delta": self.gaussianizer.delta.tolist(),
            "gaussian_mean": self.gaussian_mean.tolist(),
            "gaussian_std": self.gaussian_std.tolist(),
        }
        if self.gaussianizer.lower is not None and self.gaussianizer.upper is not None:
            state["gaussian_lower"] = np.asarray(self.gaussianizer.lower).tolist()
            state["gaussian_upper"] = np.asarray(self.gaussianizer.upper).tolist()
        return state

    @classmethod
    def from_dict(cls, state: dict[str, list[float]]) -> ReturnsTransform:
        """Inverse of :meth:`to_dict`."""
        return cls(
            np.asarray(state["mean"]),
            np.asarray(state["std"]),
            LambertWGaussianizer(
                np.asarray(state["delta"]),
                # absent in models saved before the linear tails: the plain map
                np.asarray(state["gaussian_lower"]) if "gaussian_lower" in state else None,
                np.asarray(state["gaussian_upper"]) if "gaussian_upper" in state else None,
            ),
            np.asarray(state["gaussian_mean"]),
            np.asarray(state["gaussian_std"]),
        )
