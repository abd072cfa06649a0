"""``polemos series``: fit a sequence GAN on a CSV, sample from it, evaluate samples against real data.

Files: a CSV series has one row per time step (a date/time column is detected and used for ordering);
a samples file is ``.npy`` (array ``(N, T, F)``) or ``.csv`` in long form with columns ``sequence, step``
followed by the features.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from polemos.checks import (
    check_input_file,
    check_model_folder,
    check_output_file,
    check_seed,
    check_time_budget,
    check_writable_folder,
    folder_path,
)
from polemos.config import parse_key_value
from polemos.errors import PolemosError

app = typer.Typer(
    help="Time series and financial scenarios: fit, sample, eval.",
    no_args_is_help=True,
    add_completion=False,
)


def _columns(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


_SAMPLE_SUFFIXES = (".npy", ".csv")


def write_samples(samples: np.ndarray, path: Path, columns: list[str]) -> None:
    """Writes ``(N, T, F)`` samples as ``.npy`` or long-form ``.csv`` (NaN steps omitted).

    The file is written under a temporary name and then renamed, so a failed write leaves an existing file intact.
    """
    if path.suffix not in _SAMPLE_SUFFIXES:
        raise PolemosError(f"unsupported output {path.name}; use a .npy or .csv file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if path.suffix == ".npy":
            with temporary.open("wb") as file:  # a file object: np.save would append .npy to the temporary name
                np.save(file, samples)
        else:
            count, length, _ = samples.shape
            frame = pd.DataFrame(samples.reshape(count * length, -1), columns=columns)
            frame.insert(0, "step", np.tile(np.arange(length), count))
            frame.insert(0, "sequence", np.repeat(np.arange(count), length))
            frame.dropna().to_csv(temporary, index=False)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


# what each score of `series eval` measures, printed beside it (every one: lower is better)
_SCORE_MEANINGS = {
    "discriminative": "; |accuracy - 0.5| of a GRU telling real from synthetic windows, lower is better",
    "predictive": "; MAE on real windows of a GRU trained on synthetic ones to predict the next step, lower is better",
    "cross_correlation_error": "distance between the real and synthetic correlation matrices, lower is better",
}
# paths shorter than this get a note from `series eval --returns` (sample ACFs are biased by about -1/T)
_SHORT_PATHS = 500
# fewer real windows than this held out of the discriminative score's training get a note: its accuracy is coarse
_FEW_TEST_WINDOWS = 10


def _correlation_error(
    real: np.ndarray,  # (T, F) series or (N, T, F) windows
    synthetic: np.ndarray,  # (M, T', F)
    names: list[str] | None,  # feature names, or None for numbers
    notes: list[str],  # receives a note naming the constant features left out
) -> float | None:
    """:func:`~polemos.series.metrics.cross_correlation_error` over the features that vary in both sets.

    A constant feature has no correlation (NumPy gives NaN, which is not even valid JSON); such features are left
    out with a note, and with fewer than two varying features left the score is None.
    """
    from polemos.series import metrics

    features = real.shape[-1]
    real_flat, synthetic_flat = real.reshape(-1, features), synthetic.reshape(-1, features)

    def varies(column: np.ndarray) -> bool:
        finite = column[np.isfinite(column)]
        return bool(finite.size) and bool(finite.max() > finite.min())

    varying = [j for j in range(features) if varies(real_flat[:, j]) and varies(synthetic_flat[:, j])]
    if len(varying) < features:
        constant = [names[j] if names else str(j) for j in range(features) if j not in varying]
        outcome = (
            "so cross_correlation_error leaves them out"
            if len(varying) >= 2
            else "so cross_correlation_error is not computed; evaluate columns that vary (--columns)"
        )
        notes.append(
            f"column(s) {', '.join(constant)} are constant in the real or synthetic data: their correlations are "
            f"undefined, {outcome}"
        )
    if len(varying) < 2:
        return None
    return metrics.cross_correlation_error(real[..., varying], synthetic[..., varying])


def _refuse_prices(values: np.ndarray, what: str, fix: str) -> None:
    """Raises if ``values`` that should be log returns look like prices: all positive, median above 0.5."""
    finite = values[np.isfinite(values)]
    # log returns change sign and are rarely beyond 0.5 (a 65 % move); prices are positive and mostly above it
    if finite.size and finite.min() > 0 and float(np.median(finite)) > 0.5:
        raise PolemosError(
            f"{what} holds values that look like prices (all positive, median {float(np.median(finite)):.4g}), "
            f"not log returns; {fix}"
        )


def _echo_stylized_facts(facts: dict[str, dict[str, Any]], names: list[str] | None) -> None:
    """Prints each feature's stylized-fact scores as two readable lines (``--json`` keeps the full record)."""
    for feature, scores in facts.items():
        name = names[int(feature)] if names else f"feature {feature}"
        lags = f"lags 1-{scores['max_lag']}"
        typer.echo(f"stylized facts of {name} (distances to the real series, lower is better; {lags}):")
        typer.echo(
            f"  ACF(r) {scores['acf_r']:.4f}   ACF(|r|) {scores['acf_abs']:.4f}   "
            f"ACF(r²) {scores['acf_squared']:.4f}   leverage {scores['leverage']:.4f}"
        )
        horizons = "/".join(scores["emd"])
        values = " / ".join(f"{value:.5f}" for value in scores["emd"].values())
        typer.echo(f"  EMD of {horizons}-step cumulative returns: {values}")


def _load_windows(path: Path, role: str) -> np.ndarray:
    """Reads a ``.npy`` array of windows ``(N, T, F)`` (``(N, T)``: one feature) with one-line errors."""
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError):
        raise PolemosError(
            f"cannot read {path} as a NumPy array; pass the --out file of `polemos series sample` (.npy or .csv)"
        ) from None
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise PolemosError(
            f"{path} does not hold an array of real numbers; pass the --out file of `polemos series sample`"
        )
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise PolemosError(
            f"{role} {path} must be an (N, T, F) array of N sequences of T steps and F features, got shape "
            f"{array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise PolemosError(f"{role} {path} holds no sequences (shape {array.shape}); pass a file with sequences")
    return array.astype(np.float64)


def read_samples(path: Path) -> np.ndarray:
    """Reads samples written by :func:`write_samples` (``.npy`` or long-form ``.csv``) as ``(N, T, F)``."""
    if path.is_dir():
        raise PolemosError(
            f"samples file {path} is a folder, not a file; pass the --out file of `polemos series sample`"
        )
    if not path.is_file():
        raise PolemosError(f"samples file {path} not found; pass the --out file of `polemos series sample`")
    if path.suffix == ".npy":
        return _load_windows(path, "the samples file")
    if path.suffix == ".npz":  # a NumPy archive would be read as (non-UTF-8) CSV text
        raise PolemosError(
            f"{path} is a .npz archive; save the (N, T, F) array with numpy.save as .npy, or pass a .csv"
        )
    try:
        frame = pd.read_csv(path)
    except UnicodeDecodeError as error:
        raise PolemosError(f"cannot read {path} as CSV: it is not UTF-8 text ({error}); re-save it as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise PolemosError(f"cannot read {path} as CSV ({first_line}); write it with `polemos series sample`") from None
    if not {"sequence", "step"} <= set(frame.columns):
        raise PolemosError(f"{path} lacks the columns 'sequence' and 'step'; write it with `polemos series sample`")
    if len(frame) == 0:
        raise PolemosError(f"{path} holds no sequences (no rows); generate some with `polemos series sample`")
    features = [c for c in frame.columns if c not in ("sequence", "step")]
    try:
        values = frame[features].to_numpy(dtype=np.float64)
        sequence, step = frame["sequence"].to_numpy(dtype=np.int64), frame["step"].to_numpy(dtype=np.int64)
    except (ValueError, TypeError):
        raise PolemosError(f"{path} holds non-numeric values; write it with `polemos series sample`") from None
    if sequence.min() < 0 or step.min() < 0:
        raise PolemosError(f"{path} has negative sequence or step numbers; write it with `polemos series sample`")
    samples = np.full((sequence.max() + 1, step.max() + 1, len(features)), np.nan)
    samples[sequence, step] = values
    return samples


@app.command()
def fit(
    data: Annotated[Path, typer.Argument(help="CSV file, one row per time step.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the model to.", parser=folder_path)],
    window: Annotated[int, typer.Option(help="Steps per training window.")] = 24,
    stride: Annotated[int, typer.Option(help="Steps between window starts.")] = 1,
    columns: Annotated[str | None, typer.Option(help="Comma-separated feature columns (default: all).")] = None,
    returns: Annotated[bool, typer.Option("--returns", help="Columns are prices: model log returns.")] = False,
    returns_input: Annotated[
        str | None, typer.Option(help="With --returns: the columns hold 'prices' (default) or 'log-returns'.")
    ] = None,
    context_length: Annotated[int, typer.Option(help="Leading steps given as context (scenarios).")] = 0,
    steps: Annotated[int, typer.Option(help="Maximum training steps.")] = 5000,
    time_budget: Annotated[
        float | None,
        typer.Option(
            help="Wall-clock seconds for the whole fit (preparing the data and calibration included); training "
            "stops early enough to finish within it."
        ),
    ] = None,
    nan_policy: Annotated[str, typer.Option(help="drop-windows | ffill | interpolate | raise")] = "drop-windows",
    time_column: Annotated[str | None, typer.Option(help="Time-stamp column (default: auto-detect).")] = None,
    loss: Annotated[str | None, typer.Option(help="Adversarial loss name (default: SeriesGANConfig's).")] = None,
    penalty: Annotated[str | None, typer.Option(help="Gradient penalty name (default: SeriesGANConfig's).")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-o",
            help="Any SeriesGANConfig field as KEY=VALUE, VALUE in YAML (e.g. -o hidden=32 -o select_every=100).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a series model already in --out (never another kind).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Fit a SeriesGAN on DATA and save it to --out."""
    from polemos.series.data import load_series_table
    from polemos.series.model import SeriesGAN

    check_seed(seed)
    options = dict(parse_key_value(text, "--option KEY=VALUE", "hidden=32") for text in option or [])
    if "seed" in options:
        raise PolemosError("-o seed=... is set by --seed; use --seed instead")
    options.update({name: value for name, value in (("loss", loss), ("penalty", penalty)) if value})
    gan = SeriesGAN(seed=seed, **options)  # bad -o values fail here, before any work
    if steps < 1:
        raise PolemosError(f"--steps must be at least 1, got {steps}")
    check_time_budget(time_budget)
    if returns_input is not None and not returns:  # else silently ignored: the columns would be modelled as levels
        raise PolemosError(
            f"--returns-input {returns_input} describes the columns for --returns; "
            "add --returns or drop --returns-input"
        )
    # a bad --out fails now rather than after training
    replacing = check_model_folder(out, "series model", overwrite)
    table = load_series_table(data, columns=_columns(columns), time_column=time_column, nan_policy=nan_policy)
    frame = pd.DataFrame(table.values, columns=list(table.columns))
    gan.fit(
        frame,
        window=window,
        stride=stride,
        returns=returns,
        returns_input=returns_input or "prices",
        context_length=context_length,
        steps=steps,
        time_budget=time_budget,
        nan_policy=nan_policy,
        progress=not quiet,
    )
    gan.data_source = str(data)
    gan.save(out)
    summary = gan.summary
    assert summary is not None
    # the file's notes (sorting, gaps), then the fit's own (e.g. too few windows); the fit re-reads the gaps
    for note in dict.fromkeys((*table.notes, *summary.notes)):
        typer.echo(f"note: {note}", err=True)
    if replacing:
        typer.echo(f"note: replaced the series model that was in {out} (--overwrite)", err=True)
    typer.echo(
        f"trained {summary.steps} steps in {summary.seconds:.1f} s (whole fit {summary.fit_seconds:.1f} s) on "
        f"{summary.windows} window{'' if summary.windows == 1 else 's'} "
        f"of {window} x {len(table.columns)}; saved to {out}"
    )
    if summary.selected_step is not None and summary.selection:
        # the saved generator is the best checked state, which need not be the last one
        scores = dict(summary.selection)
        kept, (last_step, last_score) = summary.selected_step, summary.selection[-1]
        last = "" if kept == last_step else f"; the last, step {last_step:,}, scored {last_score:.4g}"
        typer.echo(
            f"kept the generator of step {kept:,}: selection score {scores[kept]:.4g}, the best of "
            f"{len(scores)} checks (lower is better{last})"
        )
    from polemos.report.cli import report_after_fit

    report_after_fit(out)  # as training runs leave one


@app.command()
def sample(
    model: Annotated[Path, typer.Argument(help="Directory written by `polemos series fit`.")],
    out: Annotated[Path, typer.Option("--out", help="Output file, .npy (N, T, F) or long-form .csv.")],
    n: Annotated[int, typer.Option("--n", help="Number of sequences.")] = 1000,
    length: Annotated[
        int | None,
        typer.Option(help="Steps per sequence (default: the trained window; with --context, window minus context)."),
    ] = None,
    context: Annotated[
        Path | None, typer.Option(help="CSV whose last L rows are the context to continue (scenarios).")
    ] = None,
    prices: Annotated[
        bool,
        typer.Option(
            "--prices",
            help="Returns models: write prices, not returns: length + 1 steps, step 0 the starting price (the "
            "--context file's last price, else the fitted series' last; 1 for models fitted on returns).",
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out if it exists.")] = False,
) -> None:
    """Generate sequences from a saved model."""
    from polemos.series.data import SORTED_NOTE, load_series_table, log_returns
    from polemos.series.model import SeriesGAN

    check_seed(seed)
    if n < 1:
        raise PolemosError(f"--n must be at least 1, got {n}")
    if length is not None and length < 1:
        raise PolemosError(f"--length must be at least 1, got {length}")
    check_output_file(out, _SAMPLE_SUFFIXES, overwrite)
    gan = SeriesGAN.load(model)
    context_values = None
    notes: list[str] = []
    if context is not None:
        if gan.meta["context_length"] == 0:
            raise PolemosError(
                f"{model} was fitted without a context; drop --context, or fit a model with --context-length L"
            )
        # NaN is checked below, in the rows that are used
        table = load_series_table(context, columns=gan.meta["columns"], nan_policy="drop-windows")
        # as fit says, once the samples are written; the NaN note does not apply here (NaN is checked below)
        notes = [note for note in table.notes if note == SORTED_NOTE]
        from_prices = gan.meta["returns"] and gan.meta.get("returns_input") == "prices"
        values = log_returns(table.values) if from_prices else table.values
        context_length = gan.meta["context_length"]
        if len(values) < context_length:
            if from_prices:  # the model continues L log returns, and L returns need L + 1 prices
                raise PolemosError(
                    f"the context file has {len(table.values)} price rows; the model continues {context_length} "
                    f"returns, which take {context_length + 1} prices: give the last {context_length + 1} rows"
                )
            raise PolemosError(f"the context file has {len(values)} rows; the model needs the last {context_length}")
        context_values = values[-context_length:]
        used = context_length + 1 if from_prices else context_length  # L returns need L + 1 prices
        missing = int(np.isnan(table.values[-used:]).sum())
        if missing:
            raise PolemosError(
                f"the context file {context} has {missing} NaN value(s) in its last {used} rows, which the model "
                "continues; fill or drop those rows"
            )
    initial_price = None
    if prices and context is not None:
        # scenarios start from the context's last price (from a context of returns: 1, as after fit on returns)
        initial_price = table.values[-1] if from_prices else np.ones(table.values.shape[1])
    samples = gan.sample(
        n, context=context_values, length=length, seed=seed, as_prices=prices, initial_price=initial_price
    )
    write_samples(samples, out, gan.meta["columns"])
    sys.stdout.flush()  # the notes on stderr come after the scores, also when both go to one log
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"wrote {samples.shape[0]} sequences of {samples.shape[1]} x {samples.shape[2]} to {out}")


def evaluate(
    real_path: Path,
    synthetic_path: Path,
    returns: bool = False,
    returns_input: str = "prices",
    columns: list[str] | None = None,
    runs: int = 3,
    discriminative_iterations: int = 2000,
    predictive_iterations: int = 5000,
    plots: Path | None = None,
) -> dict[str, Any]:
    """The computation behind ``polemos series eval``; returns a JSON-ready record."""
    from polemos.series import metrics
    from polemos.series.data import load_series_table, log_returns, make_windows, shuffle_windows

    if runs < 1:
        raise PolemosError(f"--runs must be at least 1, got {runs} (runs={runs})")
    for flag, iterations in (
        ("discriminative-iterations", discriminative_iterations),
        ("predictive-iterations", predictive_iterations),
    ):
        if iterations < 1:
            raise PolemosError(f"--{flag} must be at least 1, got {iterations} ({flag.replace('-', '_')}={iterations})")
    if plots is not None:  # before scoring, which can take minutes
        check_writable_folder(plots, "--plots")
    synthetic = read_samples(synthetic_path)
    if real_path.suffix == ".npz":
        raise PolemosError(
            f"{real_path} is a .npz archive; pass a CSV series, or the (N, T, F) windows saved with numpy.save as .npy"
        )
    if real_path.suffix == ".npy":
        check_input_file(real_path, "real windows file", "a CSV series or a .npy file of windows (N, T, F)")
        real_windows = _load_windows(real_path, "the real windows file")
        real_series = None
    else:
        table = load_series_table(real_path, columns=columns, nan_policy="drop-windows")
        if returns and returns_input == "log-returns":
            _refuse_prices(table.values, f"the real file {real_path}", "drop --returns-input log-returns")
        real_series = log_returns(table.values) if returns and returns_input == "prices" else table.values
        real_windows = None
    record: dict[str, Any] = {"real": str(real_path), "synthetic": str(synthetic_path)}
    if real_series is not None:
        record["columns"] = list(table.columns)  # names of the features "0", "1", ... below
    if returns:
        if real_series is None:
            raise PolemosError("--returns needs the real prices as a CSV series")
        if synthetic.shape[2] != real_series.shape[1]:
            real_count, synthetic_count = real_series.shape[1], synthetic.shape[2]
            raise PolemosError(
                f"the real data has {real_count} column{'' if real_count == 1 else 's'} and the samples "
                f"{synthetic_count} feature{'' if synthetic_count == 1 else 's'}; pass the model's columns (--columns)"
            )
        _refuse_prices(synthetic, str(synthetic_path), "sample the model without --prices")
        if synthetic.shape[1] < _SHORT_PATHS:
            # sample ACFs of short paths are biased low (about -1/T), so the scores rank noise near real data
            record["notes"] = [
                f"paths of {synthetic.shape[1]} steps are short for stylized facts: their sample ACFs are biased, "
                f"so the ACF and leverage scores mean little; sample paths of {_SHORT_PATHS:,} steps or more "
                f"(polemos series sample --length {_SHORT_PATHS})"
            ]
        facts = {}
        written: list[Path] = []
        for feature in range(real_series.shape[1]):
            real_feature = real_series[:, feature]
            real_feature = real_feature[np.isfinite(real_feature)]
            if real_feature.size and real_feature.max() == real_feature.min():
                # a flat price: its autocorrelations are undefined, so its distances would compare with nothing
                record.setdefault("notes", []).append(
                    f"the real returns of {table.columns[feature]} are constant (a flat price): their stylized facts "
                    "are undefined, so the column is not scored; leave it out (--columns)"
                )
                continue
            paths = synthetic[:, :, feature]
            max_lag = int(min(250, paths.shape[1] - 2, len(real_feature) - 2))
            if max_lag < 1:  # the ACF and leverage scores need lag 1: three returns on each side
                raise PolemosError(
                    f"stylized facts need paths of at least 3 returns and as many real returns; got paths of "
                    f"{paths.shape[1]} and {len(real_feature)} real returns (feature {feature}) — sample longer paths "
                    "(polemos series sample --length) or pass a longer real series"
                )
            horizons = [h for h in (1, 5, 20, 100) if h <= min(paths.shape[1], len(real_feature))]
            facts[str(feature)] = metrics.stylized_facts(real_feature, paths, horizons, max_lag).to_dict()
            if plots is not None:
                from polemos.series import plots as plotting

                name = table.columns[feature]
                written += [
                    plotting.plot_return_histogram(real_feature, paths, plots / f"histogram_{feature}.png", name=name),
                    plotting.plot_acf(real_feature, paths, plots / f"acf_{feature}.png", max_lag=max_lag, name=name),
                    plotting.plot_sample_paths(paths, plots / f"paths_{feature}.png", name=name),
                ]
        if not facts:
            raise PolemosError(
                "every real column's returns are constant (flat prices): there are no stylized facts to compare; "
                "pass a series whose prices move"
            )
        record["stylized_facts"] = facts
        if written:
            record["plots"] = [str(path) for path in written]
        if real_series.shape[1] > 1:
            error = _correlation_error(real_series, synthetic, list(table.columns), record.setdefault("notes", []))
            if error is not None:
                record["cross_correlation_error"] = error
        if not record.get("notes"):
            record.pop("notes", None)
        return record

    length = synthetic.shape[1]
    if length < 2:  # the predictive score predicts each next step
        raise PolemosError(
            f"the synthetic sequences have {length} step; eval needs at least 2 steps per sequence — sample longer "
            "ones (polemos series sample --length)"
        )
    if real_windows is None:
        assert real_series is not None
        if len(real_series) < length:
            raise PolemosError(
                f"the real series has {len(real_series)} steps, fewer than the {length}-step synthetic sequences; "
                f"sample shorter sequences (polemos series sample --length {len(real_series)}) or pass a longer series"
            )
        real_windows = make_windows(real_series, length)
    if real_windows.shape[1:] != synthetic.shape[1:]:
        raise PolemosError(
            f"real windows of {real_windows.shape[1]} steps x {real_windows.shape[2]} features and synthetic "
            f"of {synthetic.shape[1]} x {synthetic.shape[2]} differ; sample as many steps (--length) from a model "
            "fitted on the same columns"
        )
    if np.isnan(synthetic).any():
        raise PolemosError("the synthetic windows have NaN (variable-length); eval needs full-length windows")
    for role, windows, fix in (
        (
            "real",
            real_windows,
            "pass a longer real series, or sample shorter sequences (polemos series sample --length)",
        ),
        ("synthetic", synthetic, "sample more sequences (polemos series sample --n)"),
    ):
        if len(windows) < 2:  # the discriminative score trains on 80 % of each set and tests on the rest
            raise PolemosError(
                f"the {role} data gives {len(windows)} window of {length} steps; the discriminative score holds out "
                f"a fifth of each set and needs at least 2 windows; {fix}"
            )
    held_out = len(real_windows) - int(len(real_windows) * 0.8)  # as discriminative_score splits
    if held_out < _FEW_TEST_WINDOWS:
        record["notes"] = [
            f"the real data gives only {len(real_windows)} windows of {length} steps, {held_out} held out to test the "
            "discriminative classifier: its accuracy moves in coarse steps and both scores are noisy; pass a longer "
            "real series for a firmer score"
        ]
    # both sets are min-max scaled with the real data's range (TimeGAN evaluates in [0, 1])
    low = real_windows.min(axis=(0, 1))
    scale = real_windows.max(axis=(0, 1)) - low + 1e-7
    # mostly beyond the real range by more than its width: other units (returns scored against prices)
    outside = ((synthetic < low - scale) | (synthetic > low + 2 * scale)).mean()
    if outside > 0.5:  # scored all the same (a diverged model is out of range too), with a note
        record["notes"] = [
            *record.get("notes", []),
            f"{outside:.0%} of the synthetic values lie far outside the real data's range, as if in other units "
            "(log returns against prices?); for a model fitted with --returns pass --returns, or sample --prices",
        ]
    real_scaled, synthetic_scaled = (real_windows - low) / scale, (synthetic - low) / scale
    real_scaled = shuffle_windows(real_scaled, seed=0)
    discriminative = [
        metrics.discriminative_score(real_scaled, synthetic_scaled, discriminative_iterations, seed=run)
        for run in range(runs)
    ]
    predictive = [
        metrics.predictive_score(real_scaled, synthetic_scaled, predictive_iterations, seed=run) for run in range(runs)
    ]
    record["discriminative"] = vars(metrics.repeated(discriminative)) | {"iterations": discriminative_iterations}
    record["predictive"] = vars(metrics.repeated(predictive)) | {"iterations": predictive_iterations}
    if real_windows.shape[2] > 1:
        names = list(table.columns) if real_series is not None else None
        error = _correlation_error(real_windows, synthetic, names, record.setdefault("notes", []))
        if error is not None:
            record["cross_correlation_error"] = error
    if not record.get("notes"):
        record.pop("notes", None)
    if plots is not None:
        from polemos.series import plots as plotting

        record["plots"] = [
            str(plotting.plot_embedding(real_scaled, synthetic_scaled, plots / "pca.png", method="pca")),
            str(plotting.plot_embedding(real_scaled, synthetic_scaled, plots / "tsne.png", method="tsne", count=500)),
        ]
    return record


@app.command("eval")
def eval_command(
    real: Annotated[Path, typer.Argument(help="Real data: CSV series (or .npy windows).")],
    synthetic: Annotated[Path, typer.Argument(help="Samples: .npy (N, T, F) or long-form .csv.")],
    returns: Annotated[
        bool, typer.Option("--returns", help="REAL holds prices, SYNTH log returns: stylized facts.")
    ] = False,
    returns_input: Annotated[
        str | None, typer.Option(help="With --returns: REAL's columns hold 'prices' (default) or 'log-returns'.")
    ] = None,
    columns: Annotated[str | None, typer.Option(help="Comma-separated real columns (default: all).")] = None,
    runs: Annotated[int, typer.Option(help="Repetitions of the post-hoc scores.")] = 3,
    discriminative_iterations: Annotated[int, typer.Option(help="Classifier steps (protocol: 2000).")] = 2000,
    predictive_iterations: Annotated[int, typer.Option(help="Predictor steps (protocol: 5000).")] = 5000,
    plots: Annotated[Path | None, typer.Option(help="Directory for PNG plots.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Score synthetic sequences against real ones (TimeGAN scores, or stylized facts with --returns)."""
    if returns_input is not None and not returns:
        raise PolemosError(
            f"--returns-input {returns_input} describes REAL's columns for --returns; "
            "add --returns or drop --returns-input"
        )
    if returns_input not in (None, "prices", "log-returns"):
        raise PolemosError(f"--returns-input must be 'prices' or 'log-returns', got {returns_input!r}")
    record = evaluate(
        real,
        synthetic,
        returns=returns,
        returns_input=returns_input or "prices",
        columns=_columns(columns),
        runs=runs,
        discriminative_iterations=discriminative_iterations,
        predictive_iterations=predictive_iterations,
        plots=plots,
    )
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    names = record.pop("columns", None)
    notes, written = record.pop("notes", []), record.pop("plots", [])
    for key, value in record.items():
        if key == "stylized_facts":
            _echo_stylized_facts(value, names)
        elif isinstance(value, dict) and "mean" in value:
            count = len(value["values"])
            meaning = _SCORE_MEANINGS.get(key, "")
            typer.echo(f"{key}: {value['mean']:.4f} ± {value['std']:.4f} ({count} run{'s' * (count != 1)}{meaning})")
        elif key == "cross_correlation_error":
            typer.echo(f"{key}: {value:.4f} ({_SCORE_MEANINGS[key]})")
        elif isinstance(value, str):
            typer.echo(f"{key}: {value}")
        elif isinstance(value, float):
            typer.echo(f"{key}: {value:.4f}")  # the same 4 decimals as the scores; --json keeps every digit
        else:
            typer.echo(f"{key}: {json.dumps(value)}")
    if written:
        typer.echo(f"wrote {len(written)} plots to {plots}: {', '.join(Path(path).name for path in written)}")
    for note in notes:
        typer.echo(f"note: {note}", err=True)
