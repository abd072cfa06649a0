"""Tests of polemos.progress.progress_bar: a no-op when disabled, a bar on stderr when enabled."""

from __future__ import annotations

from polemos.progress import progress_bar


def test_disabled_bar_draws_nothing(capsys) -> None:
    with progress_bar(3, "work", enabled=False) as advance:
        for _ in range(3):
            advance()
    assert capsys.readouterr() == ("", "")


def test_enabled_bar_draws_on_stderr_only(capsys, monkeypatch) -> None:
    # a terminal as rich sees it, so the live bar is drawn (under pytest stderr is not a terminal)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    with progress_bar(3, "work", enabled=True) as advance:
        for _ in range(3):
            advance()
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout stays for results
    assert "work" in captured.err


def test_enabled_bar_off_a_terminal_prints_nothing(capsys) -> None:
    # rich leaves a blank line where a transient bar was when stderr is not a terminal (e.g. above an error)
    with progress_bar(3, "work", enabled=True) as advance:
        for _ in range(3):
            advance()
    assert capsys.readouterr() == ("", "")
