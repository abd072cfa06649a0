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
