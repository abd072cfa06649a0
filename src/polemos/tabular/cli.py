"""``polemos tabular``: fit a TabularGAN on a CSV/Parquet table, sample from it, evaluate synthetic tables."""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from polemos.checks import check_model_folder, check_output_file, check_seed, check_time_budget, folder_path
from polemos.errors import PolemosError

app = typer.Typer(help="Synthetic tables: fit a conditional tabular GAN, sample rows, evaluate synthetic data.")

_CSV = (".csv", ".txt", ".tsv")
_PARQUET = (".parquet", ".pq")
# written tables: a .txt name would hide that the file is CSV
_WRITTEN = (".csv", ".tsv", *_PARQUET)
# the separators a CSV file may use instead of the expected one, and their names in messages
_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def read_table(path: Path) -> Any:
    """Reads a CSV or Parquet file into a data frame, with one-line errors for the usual problems.

    A CSV file whose only column name holds a semicolon or a tab (a comma if the name ends in ``.tsv``) uses that
    separator: it is read again with it, with a note on stderr (and, for semicolons, with decimal commas when
    that makes more columns numbers, as spreadsheets write them in many languages).

    Args:
        path: A ``.csv``, ``.txt``, ``.tsv``, ``.parquet`` or ``.pq`` file.

    Returns:
        The table as a data frame.

    Raises:
        PolemosError: For a missing file, a folder, another format, unreadable text or malformed CSV or Parquet.
    """
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        raise PolemosError(f"{path} is a folder, not a file; give the path of a CSV or Parquet file")
    if not path.is_file():
        raise PolemosError(f"{path} does not exist; give the path of a CSV or Parquet file")
    suffix = path.suffix.lower()
    if suffix in _PARQUET:
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise PolemosError("reading Parquet needs pyarrow; install it with `pip install pyarrow`") from None
        except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError: not Parquet, or damaged
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise PolemosError(f"{path} is not a valid Parquet file ({first_line}); fix or re-export it") from None
    if suffix not in _CSV:
        raise PolemosError(f"{path} is neither CSV nor Parquet; use a .csv or .parquet file")
    expected = "\t" if suffix == ".tsv" else ","
    separator = _header_separator(path, expected)
    if separator == expected:
        return _read_csv(path, expected)
    name = _SEPARATORS[separator]
    try:
        frame = _read_csv(path, separator)
    except PolemosError as error:
        raise PolemosError(f"{error} (read as {name}-separated, as its header is)") from None
    decimals = ""
    if separator == ";":
        with_decimal_commas = _read_csv(path, separator, decimal=",")
        if _numeric_columns(with_decimal_commas) > _numeric_columns(frame):
            frame, decimals = with_decimal_commas, " and decimal commas"
    typer.echo(
        f"note: {path} is {name}-separated, not {_SEPARATORS[expected]}-separated; read its {frame.shape[1]} "
        f"columns with {name}s as the separator{decimals}",
        err=True,
    )
    return frame


def _header_separator(path: Path, expected: str) -> str:
    """The separator of a CSV file: ``expected`` unless its header lacks it and holds a semicolon, tab or comma.

    Read as ``expected``, such a file is one column named after the whole header (``age;income;sex``), fitted as
    a category whose values are whole rows; the header decides, as the rows may hold decimal commas.
    """
    with path.open(encoding="utf-8", errors="replace") as file:  # undecodable text fails later, with its message
        header = file.readline()
    if expected in header:
        return expected
    return next((separator for separator in _SEPARATORS if separator in header), expected)


def _numeric_columns(frame: Any) -> int:
    """How many columns of ``frame`` pandas read as numbers."""
    from pandas.api import types as ptypes

    return sum(ptypes.is_numeric_dtype(dtype) for dtype in frame.dtypes)


def _read_csv(path: Path, separator: str, decimal: str = ".") -> Any:
    """``pd.read_csv`` with one-line errors for text that is not UTF-8, empty files and malformed rows."""
    import pandas as pd

    try:
        return pd.read_csv(path, sep=separator, decimal=decimal)
    except UnicodeDecodeError as error:
        raise PolemosError(
            f"cannot read {path} as CSV: it is not UTF-8 text ({error}); re-save it as UTF-8 comma-separated CSV"
        ) from None
    except pd.errors.EmptyDataError:
        raise PolemosError(f"{path} is empty; give a file with a header and rows") from None
    except pd.errors.ParserError as error:
        first_line = str(error).splitlines()[0]
        raise PolemosError(f"{path} is not valid CSV ({first_line}); fix the file") from None


def write_table(frame: Any, path: Path) -> None:
    """Writes CSV or Parquet by extension, through a temporary file so nothing is left half-written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _WRITTEN:
        raise PolemosError(f"cannot write {path}: use a .csv or .parquet file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if suffix in _PARQUET:
            try:
                frame.to_parquet(temporary, index=False)
            except ImportError:
                raise PolemosError("writing Parquet needs pyarrow; install it with `pip install pyarrow`") from None
        else:
            frame.to_csv(temporary, index=False, sep="\t" if suffix == ".tsv" else ",")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _finite_or_none(value: Any) -> Any:
    """``value`` with every NaN or infinite float inside it (dicts and lists included) replaced by ``None``."""
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def parse_where(clauses: list[str]) -> dict[str, Any]:
    """Parses ``col=value`` and ``col=low..high`` (either end may be empty) into sample conditions."""
    conditions: dict[str, Any] = {}
    for clause in clauses:
        if "=" not in clause:
            raise PolemosError(f"--where {clause!r} is not col=value or col=low..high; e.g. --where sex=Female")
        column, value = clause.split("=", 1)
        column = column.strip()
        if not column:
            raise PolemosError(f"--where {clause!r} has no column name; e.g. --where age=30..40")
        if column in conditions:  # the later condition would silently replace the earlier one
            raise PolemosError(
                f"--where names column {column!r} twice; give one condition per column (a range: {column}=low..high)"
            )
        if ".." in value:
            low, high = value.split("..", 1)
            conditions[column] = (low.strip() or None, high.strip() or None)
        else:
            conditions[column] = value
    return conditions


@app.command()
def fit(
    data: Annotated[Path, typer.Argument(help="Training table (.csv or .parquet).")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the model to.", parser=folder_path)],
    discrete: Annotated[
        str | None,
        typer.Option("--discrete", help="Comma-separated categorical columns (default: auto-detect)."),
    ] = None,
    time_budget: Annotated[
        float | None,
        typer.Option(
            "--time-budget",
            help="Wall-clock seconds for the whole fit (preprocessing and calibration included); training stops "
            "early enough to finish within it.",
        ),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            "--epochs",
            help="Passes over the table (default: 300 without --time-budget, unlimited with it; given both, "
            "training stops at whichever comes first).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of preprocessing and training.")] = 0,
    loss: Annotated[
        str | None, typer.Option("--loss", help="Adversarial loss (polemos.game.losses; default: TabularConfig's).")
    ] = None,
    penalty: Annotated[
        str | None, typer.Option("--penalty", help="Discriminator penalty (default: TabularConfig's).")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Categorical column a downstream model will predict: generated last, from the other columns, "
            "by a classifier head trained on the real rows (better train-on-synthetic scores).",
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-o",
            help="Any TabularConfig field as KEY=VALUE, VALUE in YAML (e.g. -o batch_size=1000 -o calibrate=false).",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a tabular model already in --out (never another kind).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Fit a TabularGAN on DATA and save it to --out."""
    from polemos.config import parse_key_value
    from polemos.tabular.synthesizer import IdentifierColumnWarning, TabularGAN

    check_seed(seed)
    check_time_budget(time_budget)
    if epochs is not None and epochs <= 0:
        raise PolemosError(f"--epochs must be positive, got {epochs}; give a number >= 1")
    discrete_columns = [name.strip() for name in discrete.split(",") if name.strip()] if discrete else None
    options = dict(parse_key_value(text, "--option KEY=VALUE", "batch_size=1000") for text in option or [])
    for name in ("seed", "verbose"):
        if name in options:
            flag = "--seed" if name == "seed" else "--quiet"
            raise PolemosError(f"-o {name}=... is set by {flag}; use {flag} instead")
    options.update({name: value for name, value in (("loss", loss), ("penalty", penalty), ("target", target)) if value})
    model = TabularGAN(seed=seed, verbose=not quiet, **options)  # bad -o values fail here, before any work
    # a bad --out fails now rather than after training
    replacing = check_model_folder(out, "tabular model", overwrite)
    frame = read_table(data)
    with warnings.catch_warnings():
        # printed below as one-line notes; Python's warning format spans two lines and names a source file
        warnings.simplefilter("ignore", IdentifierColumnWarning)
        model.fit(frame, discrete_columns=discrete_columns, time_budget=time_budget, epochs=epochs)
    model.data_source = str(data)
    model.save(out)
    report = model.report
    assert report is not None
    for note in model.notes:
        typer.echo(f"note: {note}", err=True)
    if replacing:
        typer.echo(f"note: replaced the tabular model that was in {out} (--overwrite)", err=True)
    typer.echo(
        f"saved {out} ({report.steps} steps, {report.epochs:.1f} epochs, preprocessing "
        f"{report.preprocessing_seconds:.1f} s, training {report.training_seconds:.1f} s)"
    )
    from polemos.report.cli import report_after_fit

    report_after_fit(out)  # as training runs leave one


@app.command()
def sample(
    model_dir: Annotated[Path, typer.Argument(help="Directory written by `polemos tabular fit`.")],
    out: Annotated[Path, typer.Option("--out", help="Output table (.csv or .parquet).")],
    n: Annotated[int, typer.Option("--n", help="Number of rows.")] = 1000,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Exact condition col=value or col=low..high; repeatable."),
    ] = None,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of the draw; the same seed and model give the same rows."),
    ] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace --out if it exists.")] = False,
) -> None:
    """Generate --n rows from a saved model into --out."""
    from polemos.tabular.synthesizer import TabularGAN

    if n <= 0:
        raise PolemosError(f"--n must be a positive number of rows, got {n}; e.g. --n 1000")
    check_seed(seed)
    check_output_file(out, _WRITTEN, overwrite)
    model = TabularGAN.load(model_dir)
    frame = model.sample(n, conditions=parse_where(where or []), seed=seed)
    write_table(frame, out)
    typer.echo(f"wrote {len(frame)} rows to {out}")


@app.command("eval")
def evaluate_command(
    real: Annotated[Path, typer.Argument(help="Real table (.csv or .parquet), the one the model was fitted on.")],
    synthetic: Annotated[Path, typer.Argument(help="Synthetic table with the same columns.")],
    target: Annotated[str | None, typer.Option("--target", help="Target column for ML efficacy.")] = None,
    holdout: Annotated[
        Path | None,
        typer.Option("--holdout", help="Real rows not used in training (test set and DCR reference)."),
    ] = None,
    discrete: Annotated[str | None, typer.Option("--discrete", help="Comma-separated categorical columns.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print all scores as JSON.")] = False,
) -> None:
    """Score SYNTHETIC against REAL: column shapes, pair trends, ML efficacy, DCR, SDMetrics quality.

    SDMetrics quality needs the optional sdmetrics package (pip install sdmetrics); without it, it is not computed.
    """
    from polemos.tabular.evaluate import evaluate

    real_frame = read_table(real)
    synthetic_frame = read_table(synthetic)
    holdout_frame = read_table(holdout) if holdout is not None else None
    discrete_columns = [name.strip() for name in discrete.split(",") if name.strip()] if discrete else None
    for name in discrete_columns or []:
        if name not in real_frame.columns:
            raise PolemosError(f"--discrete column {name!r} does not exist; valid: {', '.join(real_frame.columns)}")
    result = evaluate(real_frame, synthetic_frame, target, holdout_frame, discrete_columns)
    if as_json:
        # strict JSON: a score that could not be computed (NaN) is null, not a bare NaN other parsers reject
        typer.echo(json.dumps(_finite_or_none(result), indent=1, default=str, allow_nan=False))
        return
    typer.echo(f"quality             {result['quality']:.4f}")
    typer.echo(f"column shapes       {result['column_shapes']:.4f}")
    typer.echo(f"column pair trends  {result['column_pair_trends']:.4f}")
    if "ml_efficacy" in result:
        efficacy = result["ml_efficacy"]
        typer.echo(
            f"TSTR ({target}, test on {efficacy['test_set']})  F1 {efficacy['f1']:.4f}  "
            f"AUC {efficacy['auc']:.4f}  "
            f"accuracy {efficacy['accuracy']:.4f}"
        )
    privacy = result["privacy"]
    line = f"DCR median {privacy['median_dcr_synthetic_to_train']:.4f}  exact copies {privacy['exact_copy_share']:.4f}"
    if "share_closer_to_train" in privacy:
        line += f"  closer to train than holdout {privacy['share_closer_to_train']:.4f} (0.5 = no memorization)"
    typer.echo(line)
    if result.get("sdmetrics"):
        typer.echo(f"SDMetrics {result['sdmetrics']['version']} quality  {result['sdmetrics']['score']:.4f}")
    else:  # an optional dependency: say so rather than leave the promised score out silently
        typer.echo("SDMetrics quality: not computed (pip install sdmetrics)")
