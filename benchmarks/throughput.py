"""Training throughput of the polemos trainer against a plain PyTorch loop with the same networks and losses.

Protocol: DCGAN at 32x32x3 (width 64 unless ``--width``), batch 64, hinge loss, spectral norm on D, Adam with the
default config's settings, n_critic 1, on synthetic uint8 images (2,048), CPU, ``--threads`` torch threads. The polemos
side runs the real trainer (`Trainer.fit`: phases, stats, health checks, grad-norm sampling, sinks) with checkpoints and
sample grids outside the timed window; its speed is total samples / total time over the timed intervals (the first
interval is warm-up). The plain loop does the same D-then-G updates in a hand-written loop. Both sides are run
alternately ``--repeats`` times in the same process, with the EMA of G on or off on both sides (``--ema``).

Usage:
    .venv/bin/python benchmarks/throughput.py --repeats 3 --steps 60 --threads 2 [--width 64] [--ema] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from lightning_fabric import Fabric

from polemos.config import resolve_config
from polemos.game.ema import EMA
from polemos.game.losses import hinge_discriminator_loss, hinge_generator_loss
from polemos.images.data import to_model_range
from polemos.images.grid import save_image_grid
from polemos.images.networks import build_image_models
from polemos.train.loop import Trainer
from polemos.train.task import GanTask

RESOLUTION, CHANNELS, BATCH, LATENT = 32, 3, 64, 128


def make_networks(seed: int, width: int):
    torch.manual_seed(seed)
    return build_image_models("dcgan", LATENT, RESOLUTION, CHANNELS, width=width, spectral_norm=True)


def polemos_speed(data: torch.Tensor, steps: int, warmup: int, ema: bool, out: Path, width: int) -> float:
    generator, discriminator = make_networks(0, width)
    config = resolve_config(
        flags={"train.out": str(out), "train.steps": warmup + steps, "train.batch_size": BATCH},
        overrides=[
            f"model.latent_dim={LATENT}",
            "train.accelerator=cpu",
            "train.devices=1",
            "train.progress=false",
            "train.loggers=[jsonl]",
            f"train.log_every={warmup}",
            "train.sample_every=1000000",
            "train.checkpoint_every=1000000",
            f"game.ema_half_life={'10000' if ema else 'null'}",
        ],
    )
    task = GanTask(
        generator=generator,
        discriminator=discriminator,
        latent_dim=LATENT,
        data=data,
        conditions=None,
        prepare=to_model_range,
        save_samples=lambda samples, path: save_image_grid(samples, path),
    )
    Trainer(config, task, fabric=Fabric(accelerator="cpu", devices=1)).fit()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    timed = [row for row in rows if row["step"] > warmup]
    seconds = sum(warmup * BATCH / row["Speed/samples_per_second"] for row in timed)
    return len(timed) * warmup * BATCH / seconds


def plain_speed(data: torch.Tensor, steps: int, warmup: int, ema: bool, width: int) -> float:
    generator, discriminator = make_networks(0, width)
    game = resolve_config().game  # the same optimizer settings as the polemos side
    betas = (game.beta1, game.beta2)
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=game.lr_generator, betas=betas)
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=game.lr_discriminator, betas=betas)
    average = EMA(generator, 10_000) if ema else None
    seen = 0
    start = 0.0
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        real = to_model_range(data[torch.randint(len(data), (BATCH,))])
        latent = torch.randn(BATCH, LATENT)
        with torch.no_grad():
            fake = generator(latent)
        loss_d = hinge_discriminator_loss(discriminator(real), discriminator(fake))
        optimizer_d.zero_grad(set_to_none=True)
        loss_d.backward()
        optimizer_d.step()
        latent = torch.randn(BATCH, LATENT)
        loss_g = hinge_generator_loss(discriminator(generator(latent)))
        optimizer_g.zero_grad(set_to_none=True)
        loss_g.backward()
        optimizer_g.step()
        seen += BATCH
        if average is not None:
            average.update(generator, BATCH, seen)
    return steps * BATCH / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60, help="timed steps per run (a multiple of --warmup)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ema", action="store_true", help="EMA of G on both sides")
    parser.add_argument("--width", type=int, default=64, help="DCGAN base width of G and D")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = torch.randint(0, 256, (2048, CHANNELS, RESOLUTION, RESOLUTION), dtype=torch.uint8)
    ratios, polemos_runs, plain_runs = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            plain = plain_speed(data, args.steps, args.warmup, args.ema, args.width)
            ours = polemos_speed(data, args.steps, args.warmup, args.ema, Path(folder) / f"run{repeat}", args.width)
            plain_runs.append(plain)
            polemos_runs.append(ours)
            ratios.append(ours / plain)
    result = {
        "protocol": {
            "model": "dcgan",
            "width": args.width,
            "resolution": RESOLUTION,
            "channels": CHANNELS,
            "batch_size": BATCH,
            "loss": "hinge",
            "ema": args.ema,
            "threads": args.threads,
            "timed_steps": args.steps,
            "warmup_steps": args.warmup,
            "repeats": args.repeats,
            "device": "cpu",
        },
        "polemos_samples_per_second": [round(value, 1) for value in polemos_runs],
        "plain_samples_per_second": [round(value, 1) for value in plain_runs],
        "ratio_median": round(statistics.median(ratios), 4),
        "ratios": [round(value, 4) for value in ratios],
    }
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
