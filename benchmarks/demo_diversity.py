"""Recognizability and pixel-space diversity of a demo recipe at a fixed step count.

Protocol: the ``demo`` preset plus the given overrides, trained for ``--steps`` generator steps (no time limit) with
seed ``--seed``; the EMA generator draws 1,797 samples (seed 0). The first 1,000 are scored by
:func:`polemos.metrics.digits.digits_recognizability`; all 1,797 against the 1,797 bundled digits by PRDC (k = 5)
and FID on raw pixels (64 features: a check of diversity, not a published protocol; the digits' border pixels never
vary, so that FID's covariance is singular and it is only indicative).

Usage:
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/demo_diversity.py --seed 0 [-o data.conditional=true ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import polemos
from polemos.cli import run_training
from polemos.config import resolve_config
from polemos.images.data import load_images, to_model_range
from polemos.metrics.digits import digits_recognizability
from polemos.metrics.distances import fid_from_features, prdc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("-o", "--override", action="append", default=[], help="config key=value after the preset")
    args = parser.parse_args()
    real = to_model_range(load_images("digits", progress=False).images).flatten(1)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        config = resolve_config(
            preset="demo",
            flags={"train.out": str(out), "train.seed": args.seed, "train.steps": args.steps},
            overrides=["train.progress=false", "train.max_time=1e9", *args.override],
        )
        started = time.perf_counter()
        run_training(config)
        seconds = time.perf_counter() - started
        fake = polemos.load(out).sample(len(real), seed=0)
    score = digits_recognizability(fake[:1000])
    flat = fake.flatten(1)
    record = {
        "seed": args.seed,
        "steps": args.steps,
        "overrides": args.override,
        "wall_seconds": round(seconds, 1),
        "ratio": round(score.ratio, 4),
        "max_min_class_ratio": round(score.max_min_class_ratio, 3),
        **{name: round(value, 4) for name, value in prdc(real, flat).items()},
        "fid_pixels": round(fid_from_features(real, flat), 3),
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
