"""Cost of one S&P SeriesGAN generator update with a 256-step burn-in, with and without gradient tracking in it.

Protocol: the `sp500-facts` networks (GRU hidden 32, 2 layers, 8 noise features, slow noise with time scales
10 / 50 / 250, a volatility head; a 32-channel critic that also reads |x|), batch 64, a 64-step judged window after
a 256-step burn-in, random weights, one forward and backward pass of the critic's logit sum through the generator.
"tracked" runs all 320 steps with autograd and drops the first 256 (the code before 2026-12-01); "warm_up" runs the
burn-in under no_grad (`RecurrentGenerator(..., warm_up=256)`, the current code). Also times one `slow_noise` call
of 64 x 320 x 3, and one gradient of the facts penalty (`facts_weight`: 32 paths of 1,024 steps after the burn-in,
mapped to returns by a `ReturnsTransform`, against `FactsPenalty` targets of a synthetic 2,433-step Student-t series;
the cost does not depend on the values), also with 8 paths of 4,000 steps against the whole series
(`facts_target="series"`). Median over ``--repeats`` timed calls after one warm-up call, ``--threads``
torch threads.

Usage:
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_step_time.py --threads 1 --repeats 20
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from polemos.series.data import ReturnsTransform
from polemos.series.facts import FactsPenalty
from polemos.series.networks import ConvDiscriminator, RecurrentGenerator, slow_noise

BURN_IN, WINDOW, BATCH, TIMESCALES = 256, 64, 64, (10.0, 50.0, 250.0)


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median wall-clock milliseconds of ``action`` over ``repeats`` calls after one untimed call."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    generator = RecurrentGenerator(1, 32, 2, 8, output="volatility", slow_timescales=TIMESCALES)
    discriminator = ConvDiscriminator(1, WINDOW, 32, magnitude=True)

    def tracked() -> None:
        discriminator(generator(BATCH, BURN_IN + WINDOW)[:, BURN_IN:]).sum().backward()

    def warm_up() -> None:
        discriminator(generator(BATCH, WINDOW, warm_up=BURN_IN)).sum().backward()

    series = 0.01 * np.random.default_rng(0).standard_t(4, size=(2433, 1))
    penalty, to_returns = FactsPenalty(series, 1024, 250), ReturnsTransform.fit(series).inverse_tensor

    whole_series = FactsPenalty(series, 4000, 250, target="series")

    def facts_gradient(penalty: FactsPenalty, paths: int, steps: int) -> None:
        generated = generator(paths, steps, warm_up=BURN_IN)
        torch.autograd.grad(penalty(to_returns(generated)), [generator.gru.weight_ih_l0])

    rows = {
        "generator update, burn-in tracked": median_ms(tracked, args.repeats),
        "generator update, burn-in under no_grad (warm_up)": median_ms(warm_up, args.repeats),
        "slow_noise 64 x 320 x 3": median_ms(lambda: slow_noise(BATCH, BURN_IN + WINDOW, TIMESCALES), args.repeats),
        "facts penalty gradient, 32 x 1,024 steps": median_ms(lambda: facts_gradient(penalty, 32, 1024), args.repeats),
        "facts penalty gradient, 8 x 4,000 steps, whole-series target": median_ms(
            lambda: facts_gradient(whole_series, 8, 4000), args.repeats
        ),
    }
    for name, milliseconds in rows.items():
        print(f"{name}: {milliseconds:.1f} ms")


if __name__ == "__main__":
    main()
