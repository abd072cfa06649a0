"""Command-line functions of the evaluation: ``polemos eval RUN`` and ``polemos extractor train``.

Module-level imports stay light (typer only); torch and the metrics load inside the commands, so that
``polemos --help`` stays fast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from polemos.errors import PolemosError

extractor_app = typer.Typer(
    help="Feature extractors for offline metrics (domain classifiers).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _json_value(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def eval_command(
    run: Annotated[Path, typer.Argument(help="run folder (the --out of polemos train)")],
    metrics: Annotated[
        str, typer.Option(help="comma-separated metrics (see `polemos list`): fid, kid, prdc, 1nn")
    ] = "fid,kid,prdc",
    n: Annotated[int, typer.Option("--n", help="number of generated images")] = 10_000,
    extractor: Annotated[
        str,
        typer.Option(
            help="auto (a domain CNN trained on the run's data, cached in RUN/extractor), pixels, "
            "or the path of a domain classifier or of local Inception weights"
        ),
    ] = "auto",
    seed: Annotated[int, typer.Option(help="seed of the generated latents and of KID's subsets")] = 0,
    json_output: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Evaluate a run's generator (FID, KID, precision/recall...) and append the values to RUN/metrics.jsonl."""
    from rich.console import Console
    from rich.table import Table

    from polemos.metrics.better import BETTER
    from polemos.metrics.evaluate import evaluate_run

    records = evaluate_run(run, metrics=metrics, n=n, extractor=extractor, seed=seed, progress=not json_output)
    if not records:
        raise PolemosError("no metric values were computed; pass at least one metric with --metrics")
    first = records[0]
    protocol = {
        "extractor": first.extractor_id,
        "extractor_hash": first.extractor_hash,
        "n_generated": first.n_generated,
        "n_reference": first.n_reference,
        "reference_split": first.reference_split,
        "seed": first.seed,
        "step": first.step,
        "run": str(run),
    }
    if json_output:
        payload: dict[str, Any] = {}
        settings: dict[str, dict[str, Any]] = {}
        for record in records:
            payload[record.metric] = _json_value(record.value)
            for name, value in record.extra.items():
                if name == f"{record.metric}_std":
                    payload[name] = _json_value(value)
                else:  # the metric's own settings (KID's subset size...): part of the protocol
                    settings.setdefault(record.metric, {})[name] = _json_value(value)
        protocol["settings"] = settings
        payload["better"] = {record.metric: BETTER.get(record.metric) for record in records}
        payload["protocol"] = protocol
        print(json.dumps(payload))
        return
    table = Table(title=f"evaluation of {run}", title_justify="left")
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("± std", justify="right", no_wrap=True)
    table.add_column("better", no_wrap=True)
    table.add_column("protocol (extractor hash, N generated vs N reference, reference, seed, step, seconds)")
    for record in records:
        spread = record.extra.get(f"{record.metric}_std")
        settings = ", ".join(f"{key} {value:g}" for key, value in record.extra.items() if key != f"{record.metric}_std")
        table.add_row(
            record.metric,
            f"{record.value:.4g}",
            "" if spread is None else f"{spread:.2g}",
            BETTER.get(record.metric, ""),
            f"{record.extractor_id} {record.extractor_hash[:12]}, {record.n_generated} vs {record.n_reference} "
            f"({record.reference_split}), seed {record.seed}, step {record.step}, {record.wall_time:.1f} s"
            + (f"; {settings}" if settings else ""),
        )
    Console().print(table)
    Console(stderr=True).print(f"appended {len(records)} records to {Path(run) / 'metrics.jsonl'}")


def check_extractor_out(out: Path, overwrite: bool = False) -> None:
    """Refuses an ``extractor train --out`` that is a folder, lacks ``.safetensors``, or would replace a file.

    An existing extractor is replaced only with ``overwrite``; any other existing file never is.

    Raises:
        PolemosError: Naming the problem and the fix.
    """
    from polemos.checks import check_writable_folder
    from polemos.metrics.extractors import is_extractor_file

    if out.is_dir():
        raise PolemosError(f"--out {str(out)!r} is a folder; pass a file path ending in .safetensors")
    if out.suffix.lower() != ".safetensors":
        raise PolemosError(
            f"--out {str(out)!r} does not end in .safetensors; pass a path ending in .safetensors "
            "(the extractor is saved in that format)"
        )
    if out.exists() and not is_extractor_file(out):  # a run's generator.safetensors, say: never replaced
        raise PolemosError(
            f"--out {str(out)!r} already exists and is not a polemos extractor; pass a new path ending in "
            ".safetensors (or delete that file first)"
        )
    if out.exists() and not overwrite:
        raise PolemosError(
            f"--out {str(out)!r} already holds an extractor; pass a new path ending in .safetensors, or --overwrite "
            "to replace it"
        )
    check_writable_folder(out.parent, "the --out folder")


@extractor_app.command("train")
def train_extractor_command(
    data: Annotated[str, typer.Option(help="labelled images: a dataset name (see `polemos list`) or a path")],
    out: Annotated[Path, typer.Option(help="output file (.safetensors)")],
    epochs: Annotated[int, typer.Option(help="passes over the training images")] = 10,
    seed: Annotated[int, typer.Option(help="seed of the split, the initialisation and the batches")] = 0,
    resolution: Annotated[
        int | None, typer.Option(help="image side (power of two); default: native size rounded up")
    ] = None,
    skip_unreadable: Annotated[
        bool, typer.Option("--skip-unreadable", help="skip image files that cannot be decoded (default: fail)")
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing extractor at --out")] = False,
) -> None:
    """Train a domain classifier on labelled images and save it as a feature extractor for FID/KID/PRDC."""
    from rich.console import Console

    from polemos.checks import check_seed
    from polemos.images.data import MixedChannelsError, UnreadableImagesError, load_images
    from polemos.metrics.extractors import train_domain_classifier

    if epochs < 1:
        raise PolemosError(f"--epochs must be at least 1 (got {epochs})")
    check_seed(seed)  # a seed torch cannot take would fail only after the images are loaded
    check_extractor_out(out, overwrite)  # before training: a bad --out would lose the trained classifier
    try:
        images = load_images(data, resolution=resolution, skip_unreadable=skip_unreadable)
    except UnreadableImagesError as error:
        raise UnreadableImagesError(
            error.where, error.files, hint="pass --skip-unreadable", reason=error.reason
        ) from None
    except MixedChannelsError as error:  # this command has no channel option: the files must be converted
        raise MixedChannelsError(
            error.where,
            error.greyscale,
            error.colour,
            hint="convert the image files to one mode (all greyscale or all RGB), "
            "then run polemos extractor train again",
        ) from None
    shortfall = images.classes_shortfall()
    if shortfall:
        raise PolemosError(
            f"{data!r} {shortfall}; pass labelled images (a folder with one sub-folder per class, "
            "an IDX file with its labels file, or a labelled .npz)"
        )
    classifier, accuracy = train_domain_classifier(
        images.images, images.labels, epochs=epochs, seed=seed, class_names=list(images.class_names)
    )
    path = classifier.save(out)
    Console().print(
        f"saved {classifier.id} to {path}\n"
        f"validation accuracy {accuracy:.4f} (10% held out), {len(images)} images of {images.source}\n"
        f"sha256 {classifier.hash}"
    )
