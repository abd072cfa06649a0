import pytest

from polemos.errors import PolemosError
from polemos.game.schedules import lr_schedule_factor


def test_lr_schedule_factor_hand_values() -> None:
    assert lr_schedule_factor("constant", 0.5, 0.0) == 1.0
    assert lr_schedule_factor("cosine", 0.0, 0.1) == pytest.approx(1.0)
    assert lr_schedule_factor("cosine", 0.5, 0.1) == pytest.approx(0.55)  # 0.1 + 0.9 * (1 + cos(pi/2)) / 2
    assert lr_schedule_factor("cosine", 1.0, 0.1) == pytest.approx(0.1)
    assert lr_schedule_factor("cosine", 2.0, 0.0) == pytest.approx(0.0)  # past the end: stays at the final rate
    assert lr_schedule_factor("cosine", 0.25) == pytest.approx(0.8535533906)  # (1 + cos(pi / 4)) / 2, final 0
    assert lr_schedule_factor("cosine", -1.0) == pytest.approx(1.0)  # before the start: the full rate


def test_unknown_schedule_names_the_valid_ones() -> None:
    with pytest.raises(PolemosError, match="unknown lr_schedule 'step'; valid: constant, cosine"):
        lr_schedule_factor("step", 0.5)
