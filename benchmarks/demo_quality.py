"""Quality and wall time of `polemos demo` (the default recipe on the bundled digits).

Protocol: the ``demo`` preset (default game, DCGAN width 64, batch 64, up to 3,000 G steps or 140 s of training)
with seeds 0..N-1, each in a fresh run folder; 1,000 samples (seed 0) of the EMA generator are scored by
:func:`polemos.metrics.digits.digits_recognizability`. Wall time covers the whole `run_training` call (data,
training, checkpoints, report).

Usage:
    .venv/bin/python benchmarks/demo_quality.py --seeds 3 [--json] [-o key=value ...]

``-o`` adds config overrides after the preset (e.g. ``-o train.max_time=1e9 -o train.steps=1500`` to compare
recipes at a fixed step count instead of a time budget).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import polemos
from polemos.cli import run_training
from polemos.config import resolve_config
from polemos.metrics.digits import digits_recognizability


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("-o", "--override", action="append", default=[], help="config key=value after the preset")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.seeds):
            out = Path(folder) / f"demo{seed}"
            config = resolve_config(
                preset="demo",
                flags={"train.out": str(out), "train.seed": seed},
                overrides=["train.progress=false", *args.override],
            )
            started = time.perf_counter()
            result = run_training(config)
            seconds = time.perf_counter() - started
            score = digits_recognizability(polemos.load(out).sample(1000, seed=0))
            runs.append(
                {
                    "seed": seed,
                    "steps": result.step,
                    "wall_seconds": round(seconds, 1),
                    "ratio": round(score.ratio, 4),
                    "generated_share": round(score.generated_share, 4),
                    "real_share": round(score.real_share, 4),
                    "max_min_class_ratio": round(score.max_min_class_ratio, 3),
                    "class_counts": score.class_counts,
                }
            )
    ratios = [run["ratio"] for run in runs]
    summary = {
        "ratio_mean": round(statistics.mean(ratios), 4),
        "ratio_std": round(statistics.stdev(ratios), 4) if len(ratios) > 1 else 0.0,
        "worst_class_balance": max(run["max_min_class_ratio"] for run in runs),
        "max_wall_seconds": max(run["wall_seconds"] for run in runs),
        "overrides": args.override,
    }
    print(json.dumps({"summary": summary, "runs": runs}, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
