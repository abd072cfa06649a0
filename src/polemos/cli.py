"""The ``polemos`` command line: parse -> typed config -> train (or sample, list, bench).

User errors (:class:`~polemos.errors.PolemosError`) are printed as one line, ``error: ...``, with exit code 2.
"""

from __future__ import annotations

import datetime
import difflib
import importlib
import inspect
import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from polemos.checks import check_writable_folder
from polemos.config import PRESETS, RunConfig, parse_key_value, resolve_config
from polemos.errors import PolemosError
from polemos.train import is_main_process

if TYPE_CHECKING:
    from polemos.train.loop import TrainResult

app = typer.Typer(
    name="polemos",
    help="Train GANs that are stable by default and measurable offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
# the defaults `polemos train --help` shows, read from the one typed config (flags default to None so that a
# preset or config file can set them; without either, these apply)
_DEFAULTS = RunConfig()

# Sub-commands owned by modalities, mounted when their module exists: (module, attribute, name).
_SUB_APPS = (
    ("polemos.tabular.cli", "app", "tabular"),
    ("polemos.series.cli", "app", "series"),
    ("polemos.metrics.cli", "extractor_app", "extractor"),
)


def _mount_sub_apps(argv: list[str]) -> None:
    """Mounts the sub-command named in ``argv`` (all of them for help), so plain commands start fast."""
    wanted = {name for _, _, name in _SUB_APPS}
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    if first in wanted:
        wanted = {first}
    elif first is not None:
        wanted = set()
    for module_name, attribute, name in _SUB_APPS:
        if name not in wanted:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        app.add_typer(getattr(module, attribute), name=name)


# Files of a run folder that a new run would overwrite or append to.
_RUN_FILES = ("generator.safetensors", "model.json", "config.json", "metrics.jsonl")
# Other names a run writes into its folder: a folder that holds any of them (a user's own report.html or
# metrics.csv) would have them replaced or merged
_RUN_OUTPUTS = ("metrics.csv", "events.jsonl", "report.html", "samples", "checkpoints", "tensorboard", "wandb")


def _check_new_run_folder(out: Path, data_source: str | None = None) -> None:
    """Refuses an ``--out`` that is a file, holds a run, is (inside) the image folder or cannot be written."""
    if out.exists() and not out.is_dir():
        raise PolemosError(f"--out {str(out)!r} is an existing file, not a folder; choose a new --out folder")
    restart = _stopped_before_its_first_step(out)
    if restart:
        # only the starting state of a run that failed at once (a bug in a plugin, say): nothing trained is lost
        console.print(
            f"note: {escape(str(out))} holds a run that stopped before its first step; starting it again",
            highlight=False,
            soft_wrap=True,
        )
    elif (out / "checkpoints" / "last.pt").exists():
        raise PolemosError(
            f"{str(out)!r} already holds a training run; continue it with --resume {out} or choose a new --out folder"
        )
    found = [name for name in _RUN_FILES if (out / name).exists()]
    if found and not restart:
        raise PolemosError(
            f"{str(out)!r} already holds a run ({', '.join(found)}); choose a new --out folder "
            "(its files would be overwritten)"
        )
    others = [name for name in _RUN_OUTPUTS if (out / name).exists()]
    if others and not restart:
        raise PolemosError(
            f"--out {str(out)!r} already holds {', '.join(others)}, which a run writes; choose a new or empty "
            "--out folder"
        )
    if data_source is not None:
        from polemos.images.data import is_named_source

        data_path = None if is_named_source(data_source) else Path(data_source).expanduser().resolve()
        if data_path is not None and data_path.is_dir() and out.resolve().is_relative_to(data_path):
            # the run's sample grids would become training images of the next run on that folder
            raise PolemosError(
                f"--out {str(out)!r} is the data folder {str(data_source)!r} or inside it; choose another folder"
            )
    # under a file, or where it cannot be created: one line now, not a traceback when the run creates it
    check_writable_folder(out, "--out")


def _check_run_data(run_dir: Path, source: str, purpose: str) -> None:
    """Fails when the training data a run recorded (a path) is gone, saying where it must be restored."""
    from polemos.images.data import is_named_source

    if not is_named_source(source) and not Path(source).expanduser().exists():
        raise PolemosError(
            f"this run's training data {source!r} (data.source in {str(run_dir / 'config.json')!r}) is missing; "
            f"restore it at that path to {purpose}"
        )


def _stopped_before_its_first_step(out: Path) -> bool:
    """Whether ``out`` holds only the step-0 state a run writes before training (and no logged statistics)."""
    metrics = out / "metrics.jsonl"
    logged = metrics.exists() and metrics.stat().st_size > 0
    return (out / "checkpoints" / "last.pt").exists() and _run_step(out) == 0 and not logged


def _run_step(run_dir: Path) -> int | None:
    """The step of a run's last export (model.json), or None when it cannot be read."""
    try:
        step = json.loads((run_dir / "model.json").read_text()).get("step")
    except (OSError, ValueError, AttributeError):
        return None
    return step if isinstance(step, int) else None


def _differences(saved: dict[str, Any], current: dict[str, Any], sections: tuple[str, ...]) -> list[str]:
    changed = []
    for section in sections:
        for key, value in saved.get(section, {}).items():
            if current.get(section, {}).get(key) != value:
                changed.append(f"{section}.{key} ({value!r} -> {current[section][key]!r})")
    return changed


def _resume_config(run_dir: Path, flags: dict[str, Any], overrides: list[str]) -> RunConfig:
    from polemos.train.checkpoint import LAST

    if run_dir.is_file():
        raise PolemosError(f"--resume {str(run_dir)!r} is a file, not a run folder; pass the --out folder of a run")
    if not run_dir.is_dir():
        raise PolemosError(f"--resume {str(run_dir)!r}: no such run folder; pass the --out folder of a run")
    if not (run_dir / "checkpoints" / LAST).is_file():
        raise PolemosError(
            f"--resume {str(run_dir)!r}: no checkpoint in {str(run_dir / 'checkpoints')!r}; "
            "start a new run with polemos train --out"
        )
    try:
        saved = json.loads((run_dir / "config.json").read_text())
    except (OSError, ValueError):  # ValueError: also text that is not UTF-8
        saved = None
    if not isinstance(saved, dict):
        raise PolemosError(
            f"--resume {str(run_dir)!r}: config.json is missing or corrupt; restore it from a copy of the run, "
            "or start a new run with polemos train --out NEW"
        )
    flags = {**flags, "train.out": str(run_dir)}
    config = resolve_config(base=saved, flags=flags, overrides=overrides)
    changed = _differences(saved, config.to_dict(), ("data", "model", "game"))
    if changed:
        raise PolemosError(
            f"--resume {str(run_dir)!r}: incompatible config, {', '.join(changed)}; "
            "only train.* settings (e.g. --steps) may change on resume — start a new run for the rest"
        )
    for key in ("batch_size", "seed"):
        if saved.get("train", {}).get(key) != getattr(config.train, key):
            raise PolemosError(
                f"--resume {str(run_dir)!r}: train.{key} differs from the run's; exact resume needs the same value"
            )
    saved_steps = saved.get("train", {}).get("steps")
    schedule = config.game.lr_schedule
    if schedule not in (None, "constant") and saved_steps != config.train.steps and is_main_process():
        # the learning rate follows step / train.steps: more steps lift it back up from where the run had taken it
        console.print(
            f"note: game.lr_schedule={schedule} spans train.steps; resuming with {config.train.steps} steps instead "
            f"of {saved_steps} continues on a longer schedule, not as one {config.train.steps}-step run would",
            highlight=False,
            soft_wrap=True,
        )
    return config


def run_training(config: RunConfig, resume: bool = False) -> Any:
    """Builds the task for ``config`` and trains it; returns the :class:`~polemos.train.loop.TrainResult`."""
    from polemos.images.task import build_image_task
    from polemos.train.loop import Trainer, make_fabric

    fabric = make_fabric(config)
    fabric.launch()
    fabric.seed_everything(config.train.seed + fabric.global_rank, verbose=False)
    task = build_image_task(config, progress=config.train.progress and fabric.global_rank == 0)
    trainer = Trainer(config, task, fabric=fabric)
    result = trainer.fit(resume=resume)
    if fabric.global_rank == 0:
        _write_report_if_available(config)
    return result


def _write_report_if_available(config: RunConfig) -> Path | None:
    try:
        report = importlib.import_module("polemos.report")
    except ModuleNotFoundError:
        return None
    writer = getattr(report, "write_report", None)
    return writer(Path(config.train.out)) if writer else None


@app.command()
def train(
    overrides: Annotated[list[str] | None, typer.Argument(help="dotted overrides, e.g. game.n_critic=5")] = None,
    data: Annotated[
        str | None, typer.Option(help=f"dataset name (see `polemos list`) or path (default: {_DEFAULTS.data.source})")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help=f"image model: dcgan or resnet (default: {_DEFAULTS.model.architecture})")
    ] = None,
    loss: Annotated[
        str | None, typer.Option(help=f"adversarial loss (see `polemos list`) (default: {_DEFAULTS.game.loss})")
    ] = None,
    steps: Annotated[int | None, typer.Option(help=f"generator steps (default: {_DEFAULTS.train.steps})")] = None,
    batch_size: Annotated[
        int | None, typer.Option(help=f"samples per batch and process (default: {_DEFAULTS.train.batch_size})")
    ] = None,
    seed: Annotated[int | None, typer.Option(help=f"random seed (default: {_DEFAULTS.train.seed})")] = None,
    out: Annotated[Path | None, typer.Option(help=f"run folder (default: {_DEFAULTS.train.out})")] = None,
    preset: Annotated[str | None, typer.Option(help="named recipe (see `polemos list`)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="YAML/JSON config file")] = None,
    resume: Annotated[Path | None, typer.Option(help="continue the run in this folder")] = None,
    devices: Annotated[str | None, typer.Option(help="processes/GPUs per node, or auto")] = None,
    precision: Annotated[str | None, typer.Option(help="32-true, bf16-mixed or 16-mixed")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the resolved config, check one training step in memory, and exit")
    ] = False,
) -> None:
    """Train a GAN; the run folder gets config, checkpoints, metrics and sample grids."""
    flags: dict[str, Any] = {
        "data.source": data,
        "model.architecture": model,
        "game.loss": loss,
        "train.steps": steps,
        "train.batch_size": batch_size,
        "train.seed": seed,
        "train.out": str(out) if out is not None else None,
        "train.devices": (int(devices) if devices and devices.isdigit() else devices),
        "train.precision": precision,
    }
    if resume is not None:
        if config is not None or preset is not None:
            raise PolemosError("--resume takes the run's own config; drop --config/--preset")
        if out is not None and out.resolve() != resume.resolve():
            raise PolemosError(
                "--resume continues the run in place; drop --out (or copy the run folder first and resume the copy)"
            )
        run_config = _resume_config(resume, flags, overrides or [])
    else:
        run_config = resolve_config(preset=preset, config_file=config, flags=flags, overrides=overrides or [])
    _validate_names(run_config)
    if resume is not None:
        _check_run_data(resume, run_config.data.source, "resume")
        # checkpoints and logs are written into it: a run resumes in its own folder only
        check_writable_folder(resume, "--resume", "copy the run folder somewhere writable and resume the copy")
    else:
        from polemos.images.data import check_source

        path = check_source(run_config.data.source)  # a dry run fails on a bad dataset as a real run would
        if path is not None:  # recorded absolute: --resume works from any working directory
            data = run_config.data.model_copy(update={"source": str(path.resolve())})
            run_config = run_config.model_copy(update={"data": data})
    if dry_run:
        _dry_run(run_config, resume)
        return
    done: int | None = None
    if resume is None:
        _check_new_run_folder(Path(run_config.train.out), run_config.data.source)
    else:
        done = _run_step(resume)
        if done is not None and done >= run_config.train.steps:
            console.print(
                f"{escape(str(resume))} is already at step {done} (train.steps is {run_config.train.steps}); "
                f"nothing to do — pass --steps above {done} to continue",
                highlight=False,
                soft_wrap=True,
            )
            return
    result = run_training(run_config, resume=resume is not None)
    if not is_main_process():
        return  # the line below, once per run
    # after --resume, this session's steps (the run's step count is the checkpoint's plus these)
    steps_run = f"steps {done + 1}-{result.step}" if done and result.step > done else f"{result.step} steps"
    console.print(
        f"trained {steps_run} in {result.seconds:.0f} s ({result.samples_per_second:.0f} samples/s)"
        f"{_time_limit_note(result, run_config)}; run folder: {escape(str(result.run_dir))}",
        highlight=False,
        soft_wrap=True,  # one line in logs, whatever the terminal width: paths stay whole for copy and grep
    )


def _dry_run(config: RunConfig, resume: Path | None) -> None:
    """Prints the config as the run folder would record it, after one training step run as a check.

    The step runs in memory on one process (a scratch folder, deleted): the data, models, loss and penalty meet as in
    a real run, so a mismatch (a plugin's per-sample loss, a batch size the packing cannot split, labels asked of
    unlabelled data) is found before a run folder exists.
    """
    try:
        config, seconds = _first_step(config)
    except Exception as problem:
        print(config.to_json())  # the config is still worth seeing beside the error
        if isinstance(problem, PolemosError):
            raise
        first_line = (str(problem).splitlines() or [""])[0]
        raise PolemosError(
            f"a real run would fail at its first step: {type(problem).__name__}: {first_line} "
            "(run it without --dry-run for the traceback)"
        ) from None
    print(config.to_json())
    print(f"checked: one training step ran ({seconds:.1f} s, in memory)", file=sys.stderr)
    if resume is None:
        try:
            _check_new_run_folder(Path(config.train.out), config.data.source)
        except PolemosError as problem:  # say what a real run would do
            print(f"note: a real run would stop here: {problem}", file=sys.stderr)


def _first_step(config: RunConfig) -> tuple[RunConfig, float]:
    """Runs one training step of ``config`` on one process in a scratch folder.

    Returns:
        The config with the settings the modality decides filled in (as config.json records them), and the
        seconds the step took.
    """
    import tempfile
    import time

    from polemos.images.task import build_image_task
    from polemos.train.loop import Trainer, make_fabric

    with tempfile.TemporaryDirectory(prefix="polemos-dry-run-") as scratch:
        train = config.train.model_copy(update={"out": scratch, "devices": 1, "num_nodes": 1, "progress": False})
        trial = config.model_copy(update={"train": train})
        fabric = make_fabric(trial)
        fabric.launch()
        fabric.seed_everything(trial.train.seed, verbose=False)
        trainer = Trainer(trial, build_image_task(trial, progress=False), fabric=fabric)
        start = time.perf_counter()
        trainer.train_step()
        seconds = time.perf_counter() - start
    return trainer.config.model_copy(update={"train": config.train}), seconds


def _time_limit_note(result: TrainResult, run_config: RunConfig) -> str:
    """`` (stopped by ...)`` when ``train.max_time`` ended the run before ``train.steps``, else ``""``."""
    if not result.stopped_by_time:
        return ""
    return (
        f" (stopped by its {run_config.train.max_time:g} s limit, train.max_time, before {run_config.train.steps} "
        "steps)"
    )


def _validate_names(config: RunConfig) -> None:
    """Fails early, with the valid choices, on unknown registered names."""
    from polemos.game.losses import LOSSES
    from polemos.game.penalties import PENALTIES
    from polemos.images.networks import IMAGE_MODELS

    LOSSES.get(config.game.loss)
    PENALTIES.get(config.game.penalty)
    IMAGE_MODELS.get(config.model.architecture)
    if config.game.augment:
        from polemos.images.augment import DiffAugment

        DiffAugment(config.game.augment)
    if config.eval.every is not None:  # evaluation starts mid-run: a bad name would stop it after training began
        from polemos.metrics.distances import METRICS

        METRICS.get(config.eval.metric)
        if config.eval.extractor != "auto":
            from polemos.metrics.extractors import get_extractor

            get_extractor(config.eval.extractor)


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help="run folder (default: a new runs/demo-<date-time> each time)")
    ] = None,
    steps: Annotated[int | None, typer.Option(help="generator steps (default: the demo preset's)")] = None,
) -> None:
    """The main job: train the default recipe on the bundled digits (~2 minutes on 2 CPU cores)."""
    if out is None:  # a second demo never meets the first one's folder
        out = Path(f"runs/demo-{datetime.datetime.now():%Y%m%d-%H%M%S}")
    run_config = resolve_config(preset="demo", flags={"train.out": str(out), "train.steps": steps})
    _check_new_run_folder(out, run_config.data.source)
    result = run_training(run_config)
    console.print(
        f"demo: {result.step} steps in {result.seconds:.0f} s{_time_limit_note(result, run_config)}; "
        f"samples in {escape(str(out / 'samples'))}, "
        f"checkpoint in {escape(str(out / 'checkpoints'))}, metrics in {escape(str(out / 'metrics.jsonl'))}",
        highlight=False,
        soft_wrap=True,
    )
    report = out / "report.html"
    if report.exists():
        console.print(f"report: {escape(str(report))}", highlight=False, soft_wrap=True)


@app.command()
def sample(
    run: Annotated[Path, typer.Argument(help="run folder")],
    n: Annotated[int, typer.Option("--n", help="number of samples")] = 64,
    out: Annotated[Path, typer.Option(help="output image grid: .png, .jpg, .webp or .bmp")] = Path("samples.png"),
    class_: Annotated[str | None, typer.Option("--class", help="class name or id (conditional models)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the latents")] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing --out file")] = False,
) -> None:
    """Sample a grid from a run's (EMA) generator (PNG, JPEG, WebP or BMP, as --out's extension says)."""
    import polemos
    from polemos.checks import check_output_file, check_seed
    from polemos.images.grid import GRID_FORMATS

    check_seed(seed)  # as series and tabular sample: a negative seed is refused, not passed on

    # the shared output check (as series and tabular sample): an image extension, not a folder, writable, and an
    # existing file replaced only with --overwrite
    check_output_file(out, tuple(GRID_FORMATS), overwrite)
    if n < 1:
        raise PolemosError(f"--n must be at least 1 (got {n})")
    generator = polemos.load(run)
    labels: int | None = None
    if class_ is not None:
        if generator.num_classes == 0:
            raise PolemosError(f"{str(run)!r} holds an unconditional generator (no classes); drop --class")
        labels = _class_id(class_, list(generator.class_names), generator.num_classes)
    path = generator.save_grid(out, count=n, labels=labels, seed=seed)
    of_class = ""
    if labels is not None:  # which class was drawn: a number can be a name or an id
        name = generator.class_names[labels] if labels < len(generator.class_names) else str(labels)
        of_class = f" of class {name!r} (id {labels})"
    console.print(f"wrote {n} samples{of_class} to {escape(str(path))}", highlight=False)


def _class_id(text: str, names: list[str], count: int) -> int:
    """The class id ``--class`` names: a class name, or an id when the names are not numbers themselves."""
    if text in names:
        return names.index(text)
    plain = not names or names == [str(index) for index in range(count)]  # names that are their own ids
    listed = f"0..{count - 1}" if plain else ", ".join(f"{name} ({index})" for index, name in enumerate(names))
    numbered = not plain and all(name.lstrip("-").isdigit() for name in names)
    if text.lstrip("-").isdigit() and not numbered:
        index = int(text)
        if not 0 <= index < count:
            raise PolemosError(f"--class {text} is out of range; valid classes: {listed}")
        return index
    if numbered:  # "1" could mean the class named 1 or the id 1: names only
        raise PolemosError(f"--class {text} is not one of this run's classes, which are named by numbers: {listed}")
    raise PolemosError(f"unknown class {text!r}; valid classes (name and id): {listed}")


@app.command(name="list")
def list_choices() -> None:
    """List the registered datasets, models, losses, penalties, augmentations, presets, metrics, extractors and
    benchmarks."""
    from polemos.bench import load_benchmarks
    from polemos.game.losses import LOSSES
    from polemos.game.penalties import PENALTIES
    from polemos.images.augment import AUGMENTATIONS
    from polemos.images.data import IMAGE_DATASETS
    from polemos.images.networks import IMAGE_MODELS
    from polemos.metrics.distances import METRICS
    from polemos.metrics.extractors import EXTRACTORS
    from polemos.points import MIXTURES

    registries = [
        # named datasets; --data also takes a path (image folder, IDX, .npy/.npz) or torchvision:<Name>
        ("datasets (or a path: image folder, IDX, .npy/.npz; or torchvision:<Name>)", IMAGE_DATASETS),
        ("models", IMAGE_MODELS),
        ("losses", LOSSES),
        ("penalties", PENALTIES),
        ("augmentations (game.augment=a,b,...)", AUGMENTATIONS),
        ("presets", PRESETS),
        ("metrics (polemos eval --metrics)", METRICS),
        ("extractors (polemos eval --extractor; domain:PATH, inception:PATH)", EXTRACTORS),
        ("2D mixtures (polemos bench mixtures --dataset)", MIXTURES),
        ("benchmarks (polemos bench NAME --options lists each one's options)", load_benchmarks()),
    ]
    out = Console()
    for title, registry in registries:
        table = Table(title=title, show_header=False, title_justify="left")
        for name in registry.names():
            table.add_row(name, registry.describe(name))
        out.print(table)


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help="benchmark name (see `polemos list`)")],
    seeds: Annotated[int | None, typer.Option(help="number of seeds (default: the benchmark's)")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="a reduced protocol for smoke tests")] = False,
    dataset: Annotated[str | None, typer.Option(help="dataset variant, e.g. ring-8 or grid-25")] = None,
    budget: Annotated[float | None, typer.Option(help="training budget in seconds, where it applies")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", "-o", help="the benchmark's key=value options (see --options); a repeated key gives a list"
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="print the full record (protocol, per-seed values) as one JSON object")
    ] = False,
    list_options: Annotated[
        bool, typer.Option("--options", help="list this benchmark's -o options with their defaults, and exit")
    ] = False,
) -> None:
    """Run a benchmark and print its scores (mean ± std over seeds) and checks; --json for the full record."""

    from polemos.bench import load_benchmarks

    run = load_benchmarks().get(name)
    if list_options:
        from polemos.bench import option_lines

        print("\n".join(option_lines(name, run)))
        return
    if seeds is not None and seeds < 1:
        raise PolemosError(f"--seeds must be at least 1 (got {seeds})")
    options: dict[str, Any] = {"dataset": dataset, "budget": budget}
    extra: dict[str, Any] = {}
    for text in option or []:
        key, value = parse_key_value(text, "--option key=value", "steps=100")
        if key in extra:  # a repeated key collects its values: -o overrides=a.b=1 -o overrides=c.d=2
            earlier = extra[key] if isinstance(extra[key], list) else [extra[key]]
            extra[key] = [*earlier, value]
        else:
            extra[key] = value
    options.update(extra)
    options = {key: value for key, value in options.items() if value is not None}
    accepted = inspect.signature(run).parameters
    takes_any = any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in accepted.values())
    unknown = sorted(set(options) - set(accepted)) if not takes_any else []
    if unknown:  # benchmarks taking **options check their own
        valid = [key for key in accepted if key not in ("seeds", "quick")]
        raise PolemosError(f"{name} has no option {', '.join(unknown)}; valid options: {', '.join(valid)}")
    if seeds is not None:
        options["seeds"] = seeds
    results = run(quick=quick, **options)
    # a benchmark that could not run (its data is absent) fails: a script must not read it as a result
    skipped = results.get("skipped") if isinstance(results, dict) else None
    if skipped and not json_output:
        raise PolemosError(f"{name} did not run: {skipped}")
    if json_output:
        print(json.dumps(results, default=str))  # the whole record: its protocol travels with its scores
    else:
        from polemos.bench import summary_lines

        print("\n".join(summary_lines(results)))  # plain text: the same table on a terminal and in a log
    if skipped:  # --json printed the record saying why; exit as errors do
        raise typer.Exit(PolemosError.exit_code)


def _register_commands() -> None:
    """Top-level commands whose code lives with their package (light modules: heavy imports are deferred)."""
    for module_name, function_name, name in (
        ("polemos.report.cli", "report_command", "report"),
        ("polemos.metrics.cli", "eval_command", "eval"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        app.command(name=name)(getattr(module, function_name))


_register_commands()


def _usage_error_types() -> tuple[type[Exception], ...]:
    """The parser's usage-error class: typer vendors click since 0.24; older versions use click itself."""
    try:
        from typer._click.exceptions import UsageError
    except ImportError:  # pragma: no cover - typer < 0.24
        from click.exceptions import UsageError
    return (UsageError,)


def _usage_error_line(error: Any) -> str:
    """One line for a parser error: the problem, a close match when there is one, and where help is."""
    context = getattr(error, "ctx", None)
    option = getattr(error, "option_name", None)
    if option is not None and type(error).__name__ == "NoSuchOption":
        # click's own suggestions may list only --help; match against the command's real options instead
        names = [name for param in getattr(context.command, "params", []) for name in param.opts] if context else []
        close = difflib.get_close_matches(option, names, n=1, cutoff=0.6)
        message = f"no such option {option}" + (f"; did you mean {close[0]}?" if close else "")
    else:
        message = error.format_message()
        message = message[:1].lower() + message[1:]
    help_hint = f" (see {context.command_path} --help)" if context is not None else ""
    return " ".join(f"{message.rstrip('.')}{help_hint}".split())


def _interrupted_line(args: list[str], how: str = "interrupted") -> str:
    """What a Ctrl-C or SIGTERM leaves behind: only ``train`` and ``demo`` keep checkpoints that can be resumed."""
    command = next((arg for arg in args if not arg.startswith("-")), "")
    if command not in ("train", "demo"):
        return how
    out = next((args[i + 1] for i, arg in enumerate(args[:-1]) if arg in ("--out", "--resume")), None)
    if out is not None and not (Path(out) / "checkpoints" / "last.pt").exists():
        return f"{how} before the first checkpoint was written: nothing to resume"
    run = escape(out) if out is not None else "RUN"
    step = _run_step(Path(out)) if out is not None else None
    kept = "the last checkpoint" if step is None else f"the checkpoint of step {step}"
    return f"{how}; {kept} is kept (continue with polemos train --resume {run})"


_TERMINATED = False  # set when SIGTERM arrived: a scheduler's stop or a preemption, not a Ctrl-C


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    """Turns SIGTERM into the Ctrl-C path: the step in progress unwinds, temporary files are removed, and the
    last checkpoint stays as it was (the default action ended the process wherever it was)."""
    global _TERMINATED
    _TERMINATED = True
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``polemos`` command: one-line errors with exit code 2 for user mistakes."""
    args = sys.argv[1:] if argv is None else list(argv)
    if threading.current_thread() is not threading.main_thread():  # signal handlers can only be set there
        _main(args)
        return
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        _main(args)
    finally:  # main() called from Python (tests, notebooks) leaves the caller's handler as it was
        signal.signal(signal.SIGTERM, previous)


def _main(args: list[str]) -> None:
    """Runs the command of ``args``; exits with its code (2 for user mistakes, 130 / 143 when stopped)."""
    global _TERMINATED
    _TERMINATED = False
    _mount_sub_apps(args)
    try:
        from polemos.plugins import load_plugins

        load_plugins()  # registries gain the plugins' entries before names are checked
        # standalone_mode=False: parser errors come back as exceptions, printed below as one line
        code = app(args=args, prog_name="polemos", standalone_mode=False)
    except PolemosError as error:
        console.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except _usage_error_types() as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # plain `polemos` or `polemos extractor`: the help
            error.show()
        else:
            line = escape(_usage_error_line(error))
            console.print(f"[red]error:[/red] {line}", highlight=False, soft_wrap=True)
        sys.exit(getattr(error, "exit_code", 2))
    except KeyboardInterrupt:
        code = 130
    if code == 130:  # typer turns Ctrl-C into exit code 130
        if _TERMINATED:
            code = 143  # 128 + SIGTERM, as the default action would have exited
        how = "stopped by SIGTERM" if _TERMINATED else "interrupted"
        if is_main_process():  # every process of a run gets the signal: one line
            console.print(_interrupted_line(args, how), highlight=False, soft_wrap=True)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
