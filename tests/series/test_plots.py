"""Tests that the series plots write non-empty PNG files."""

from __future__ import annotations

import numpy as np

from polemos.series import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_all_plots_write_png(tmp_path) -> None:
    rng = np.random.default_rng(0)
    real, generated = 0.01 * rng.standard_normal(600), 0.01 * rng.standard_normal((4, 600))
    windows, other = rng.uniform(size=(60, 12, 3)), rng.uniform(size=(60, 12, 3))
    written = [
        plots.plot_return_histogram(real, generated, tmp_path / "hist.png"),
        plots.plot_acf(real, generated, tmp_path / "acf.png", max_lag=20),
        plots.plot_sample_paths(generated, tmp_path / "paths.png"),
        plots.plot_embedding(windows, other, tmp_path / "pca.png", method="pca"),
        plots.plot_embedding(windows, other, tmp_path / "tsne.png", method="tsne"),
    ]
    for path in written:
        assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_plots_name_the_series_and_paths_start_at_zero(tmp_path, monkeypatch) -> None:
    titles: list[str] = []
    first_values: list[float] = []
    save = plots._save

    def recording_save(figure, path):
        suptitle = figure._suptitle.get_text() if figure._suptitle is not None else ""
        titles.append(" | ".join([suptitle, *(axis.get_title() for axis in figure.axes)]))
        first_values.extend(line.get_ydata()[0] for axis in figure.axes for line in axis.get_lines())
        return save(figure, path)

    monkeypatch.setattr(plots, "_save", recording_save)
    rng = np.random.default_rng(0)
    real, generated = 0.01 * rng.standard_normal(600), 0.01 * rng.standard_normal((4, 600))
    plots.plot_return_histogram(real, generated, tmp_path / "hist.png", name="SPX")
    plots.plot_acf(real, generated, tmp_path / "acf.png", max_lag=20, name="SPX")
    assert titles[0].endswith("Distribution of log returns: SPX") and titles[1].startswith("SPX | ACF of r")
    first_values.clear()
    plots.plot_sample_paths(generated, tmp_path / "paths.png", name="SPX")
    assert titles[2].endswith("4 generated paths: SPX")
    assert first_values == [0.0] * 4  # cumulative log returns from the start, not from the first return
