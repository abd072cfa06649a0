"""The report in a real browser: headless Chromium loads it offline, every image decodes, no script error.

Needs Chromium (``apt-get install -y chromium``; or set ``POLEMOS_CHROMIUM`` to a Chromium/Chrome binary);
skipped when none is found. Run with ``pytest -m browser tests/report/test_browser.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from polemos.report import write_report

pytestmark = pytest.mark.browser

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium binary: $POLEMOS_CHROMIUM, /usr/bin/chromium, or one on PATH."""
    configured = os.environ.get("POLEMOS_CHROMIUM")
    if configured:
        return configured if shutil.which(configured) else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("headless Chromium not installed (apt-get install -y chromium, or set POLEMOS_CHROMIUM)")
    return binary


def run_chromium(
    binary: str, page: Path, profile: Path, *action: str, fragment: str = ""
) -> subprocess.CompletedProcess:
    """Headless Chromium with everything that could reach the network switched off."""
    command = [
        binary,
        "--headless",
        "--no-sandbox",  # root in containers
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",  # lets the load event and the page's self-check run before the dump
        *action,
        page.resolve().as_uri() + fragment,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def page_check(dom: str) -> dict[str, str]:
    """The attributes the page's own script wrote into #report-check."""
    match = re.search(r'<div id="report-check"([^>]*)>', dom)
    assert match is not None, "the dumped DOM has no #report-check element"
    return dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', match.group(1)))


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory, trained_run: Path) -> Path:
    """The report of a real tiny run (samples, interpolations, curves) with alarms and an evaluation added."""
    import json

    run_dir = tmp_path_factory.mktemp("browser") / "run"
    shutil.copytree(trained_run, run_dir)
    (run_dir / "events.jsonl").write_text(
        json.dumps({"step": 4, "kind": "d_overfit", "message": "E[sign(D(real))] > 0.9 for 2 intervals"}) + "\n"
    )
    with (run_dir / "metrics.jsonl").open("a") as file:
        record = {"kind": "eval", "metric": "fid", "value": 80.0, "extractor_id": "pixels", "extractor_hash": "ab"}
        file.write(json.dumps({**record, "n_generated": 64, "n_reference": 64, "reference_split": "train",
                               "seed": 0, "step": 6, "wall_time": 0.1, "extra": {}}) + "\n")  # fmt: skip
    return write_report(run_dir)


def test_every_image_loads_without_script_errors(chromium: str, report_page: Path, tmp_path: Path) -> None:
    result = run_chromium(chromium, report_page, tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    check = page_check(result.stdout)
    assert check["data-ready"] == "1", "the page script did not run"
    total = int(check["data-images-total"])
    # 2 thumbnails + shown grid + interpolations + losses + logits/sign + speed
    assert total == int(report_page.read_text(encoding="utf-8").count("<img ")) >= 7
    assert int(check["data-images-loaded"]) == total
    assert check["data-errors"] == "0", check["data-error-messages"]


def test_the_step_slider_switches_the_shown_grid(chromium: str, report_page: Path, tmp_path: Path) -> None:
    """The page script's show(): #sample=0 selects the first grid (step 3) instead of the last (step 6)."""
    result = run_chromium(chromium, report_page, tmp_path / "profile", "--dump-dom", fragment="#sample=0")
    dom = result.stdout
    first_thumb = re.search(r'<img class="thumb[^"]*" src="([^"]+)" data-index="0"', dom)
    main = re.search(r'<img id="sample-main" class="pixel" src="([^"]+)"', dom)
    assert first_thumb is not None and main is not None
    assert main.group(1) == first_thumb.group(1)
    assert '<output id="sample-step">3</output>' in dom
    assert re.search(r'<img class="thumb current" src="[^"]+" data-index="0"', dom)
    assert page_check(dom)["data-errors"] == "0"


def test_screenshot_is_written(chromium: str, report_page: Path, tmp_path: Path) -> None:
    screenshot = report_page.parent / "report_screenshot.png"
    result = run_chromium(
        chromium, report_page, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1400,3200"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert screenshot.is_file() and screenshot.stat().st_size > 0
    kept = os.environ.get("POLEMOS_REPORT_SCREENSHOT")  # keep a copy to look at
    if kept:
        shutil.copyfile(screenshot, kept)


def test_the_self_check_catches_broken_images_and_script_errors(
    chromium: str, report_page: Path, tmp_path: Path
) -> None:
    """A control: the same check fails on a page with a broken image and a throwing script."""
    page = report_page.read_text(encoding="utf-8")
    broken = page.replace(
        "</main>",
        '<img src="data:image/png;base64,AAAA" alt="broken"><script>undefinedFunction();</script></main>',
        1,
    )
    broken_path = tmp_path / "broken.html"
    broken_path.write_text(broken, encoding="utf-8")
    result = run_chromium(chromium, broken_path, tmp_path / "profile", "--dump-dom")
    check = page_check(result.stdout)
    assert int(check["data-images-loaded"]) == int(check["data-images-total"]) - 1
    assert check["data-errors"] == "1" and "undefinedFunction" in check["data-error-messages"]
