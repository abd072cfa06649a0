"""The main job: `polemos demo` trains recognizable, diverse digits with the default recipe."""

from __future__ import annotations

import polemos
from polemos.cli import run_training
from polemos.config import resolve_config
from polemos.metrics.digits import digits_recognizability


def test_demo_digits_are_recognizable_and_cover_all_classes(tmp_path) -> None:
    config = resolve_config(
        preset="demo", flags={"train.out": str(tmp_path / "demo")}, overrides=["train.progress=false"]
    )
    assert config.game == resolve_config().game  # the demo uses the default recipe, only sized for time
    result = run_training(config)
    assert result.step > 0
    assert (tmp_path / "demo" / "report.html").is_file()
    generator = polemos.load(tmp_path / "demo")
    score = digits_recognizability(generator.sample(1000, seed=0))
    # share classified with probability >= 0.8, relative to the same share on held-out real digits
    assert score.ratio >= 0.75, score
    assert min(score.class_counts) > 0, score
    assert score.max_min_class_ratio <= 3.0, score
