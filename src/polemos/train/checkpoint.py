"""Checkpoints: full training state written atomically, read without unpickling code.

``RUN/checkpoints/last.pt`` holds everything needed to resume exactly (networks, EMA, optimizers, augmentation,
RNG states of every process, step, data position). It contains only tensors and plain Python values, so it is
read with ``torch.load(weights_only=True)`` and always mapped to CPU first: a GPU checkpoint loads on CPU.
``RUN/generator.safetensors`` (the EMA generator) and ``RUN/model.json`` are the portable export used by
:func:`polemos.load`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from polemos.checks import check_not_tabular_or_series
from polemos.errors import PolemosError
from polemos.files import atomic_write

CHECKPOINT_FORMAT = "polemos-checkpoint-1"
LAST = "last.pt"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Writes ``state`` (tensors and plain values only) atomically."""
    atomic_write(path, lambda temporary: torch.save({"format": CHECKPOINT_FORMAT, **state}, temporary))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Reads a checkpoint safely (no code unpickled) onto CPU.

    Raises:
        PolemosError: If the file is missing, corrupt or not a polemos checkpoint.
    """
    if not path.is_file():
        raise PolemosError(f"no checkpoint at {str(path)!r}; train first or pass a run folder that has one")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated file, wrong format, pickled code
        reason = _load_failure(error)
        raise PolemosError(
            f"checkpoint {str(path)!r} is corrupt or not a polemos checkpoint ({reason}); "
            "delete it and resume from an earlier copy, or start a new run"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise PolemosError(f"{str(path)!r} is not a polemos checkpoint; pass a file written by polemos train")
    return state


def _load_failure(error: Exception, limit: int = 120) -> str:
    """Why ``torch.load`` failed, in at most ``limit`` characters: whole sentences, else whole words and "…".

    torch's weights-only refusal is reduced to its cause: its advice (``weights_only=False``) would run the
    file's code, and the first line of it says nothing about what is wrong with the file.
    """
    text = str(error).strip()
    if not text:
        return type(error).__name__
    marker = "WeightsUnpickler error:"
    if marker in text:
        cause = text.split(marker, 1)[1].strip().splitlines()
        text = f"weights-only load refused it: {cause[0].strip()}" if cause else "weights-only load refused it"
    line = " ".join(text.splitlines()[0].split())
    if len(line) <= limit:
        return line
    sentence_end = line.rfind(". ", 0, limit)
    if sentence_end > 0:
        return line[: sentence_end + 1]
    word_end = line.rfind(" ", 0, limit)
    return line[:word_end].rstrip(" ,;:") + " …" if word_end > 0 else line[:limit] + "…"


def capture_rng_state() -> dict[str, Any]:
    """RNG states of torch (CPU and CUDA), NumPy and Python's random, as tensors and plain values."""
    numpy_state = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(numpy_state[1].astype(np.int64)),
            "position": int(numpy_state[2]),
            "has_gauss": int(numpy_state[3]),
            "cached_gaussian": float(numpy_state[4]),
        },
        "python": list(random.getstate()[1]),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Restores what :func:`capture_rng_state` captured."""
    torch.set_rng_state(state["torch"])
    numpy_state = state["numpy"]
    np.random.set_state(
        (
            "MT19937",
            numpy_state["keys"].numpy().astype(np.uint32),
            numpy_state["position"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    random.setstate((3, tuple(state["python"]), None))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def export_generator(run_dir: Path, weights: dict[str, torch.Tensor], metadata: dict[str, Any]) -> None:
    """Writes the portable generator: ``generator.safetensors`` + ``model.json`` (both atomic)."""
    tensors = {name: tensor.detach().cpu().contiguous().clone() for name, tensor in weights.items()}
    atomic_write(run_dir / "generator.safetensors", lambda temporary: save_file(tensors, str(temporary)))
    atomic_write(run_dir / "model.json", lambda temporary: temporary.write_text(json.dumps(metadata, indent=2)))


def read_generator(run_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Reads the portable generator export of a run folder."""
    weights_path, metadata_path = run_dir / "generator.safetensors", run_dir / "model.json"
    if run_dir.is_file():
        raise PolemosError(f"{str(run_dir)!r} is a file, not a run folder; pass the --out folder of a training run")
    if not run_dir.is_dir():
        raise PolemosError(f"run folder {str(run_dir)!r} does not exist; pass the --out folder of a training run")
    check_not_tabular_or_series(run_dir, "sample")
    if not weights_path.is_file() or not metadata_path.is_file():
        raise PolemosError(
            f"{str(run_dir)!r} has no trained generator (generator.safetensors, model.json); "
            "train it first with polemos train --out RUN"
        )
    try:
        weights = load_file(str(weights_path), device="cpu")
        metadata = json.loads(metadata_path.read_text())
    except Exception as error:
        raise PolemosError(
            f"the generator export in {str(run_dir)!r} is corrupt ({error}); retrain or restore it"
        ) from None
    return weights, metadata
