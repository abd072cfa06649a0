"""PNG plots comparing generated sequences with real ones (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from polemos.series.metrics import autocorrelation, leverage_correlation  # noqa: E402

__all__ = ["plot_acf", "plot_embedding", "plot_return_histogram", "plot_sample_paths"]


def _titled(title: str, name: str | None) -> str:
    return f"{title}: {name}" if name else title


def _save(figure: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_return_histogram(
    real: np.ndarray, generated: np.ndarray, path: str | Path, bins: int = 100, name: str | None = None
) -> Path:
    """Density histograms of real and generated returns (pooled), on a log scale for the tails."""
    figure, axis = plt.subplots(figsize=(6, 4))
    real_flat, generated_flat = np.ravel(real), np.ravel(generated)
    real_flat, generated_flat = real_flat[np.isfinite(real_flat)], generated_flat[np.isfinite(generated_flat)]
    low, high = np.quantile(np.concatenate([real_flat, generated_flat]), [0.0005, 0.9995])
    edges = np.linspace(low, high, bins + 1)
    axis.hist(real_flat, bins=edges, density=True, alpha=0.5, label="real")
    axis.hist(generated_flat, bins=edges, density=True, alpha=0.5, label="generated")
    axis.set_yscale("log")
    axis.set_xlabel("log return")
    axis.set_ylabel("density")
    axis.set_title(_titled("Distribution of log returns", name))
    axis.legend()
    return _save(figure, path)


def plot_acf(
    real: np.ndarray, generated: np.ndarray, path: str | Path, max_lag: int = 250, name: str | None = None
) -> Path:
    """ACF of r, |r|, r^2 and the leverage curve corr(r_t, r_{t+k}^2), real vs generated (mean over paths)."""
    figure, axes = plt.subplots(2, 2, figsize=(10, 6))
    lags = np.arange(1, max_lag + 1)
    panels = (
        ("ACF of r", autocorrelation(real, max_lag), autocorrelation(generated, max_lag)),
        ("ACF of |r|", autocorrelation(np.abs(real), max_lag), autocorrelation(np.abs(generated), max_lag)),
        (
            "ACF of r^2",
            autocorrelation(np.square(real), max_lag),
            autocorrelation(np.square(generated), max_lag),
        ),
        (
            "leverage corr(r_t, r_{t+k}^2)",
            leverage_correlation(real, max_lag),
            leverage_correlation(generated, max_lag),
        ),
    )
    for axis, (title, real_curve, generated_curve) in zip(axes.ravel(), panels, strict=True):
        axis.plot(lags, real_curve, label="real")
        axis.plot(lags, generated_curve, label="generated")
        axis.axhline(0.0, color="grey", linewidth=0.5)
        axis.set_title(title)
        axis.set_xlabel("lag")
    axes[0, 0].legend()
    if name:
        figure.suptitle(name)
    return _save(figure, path)


def plot_sample_paths(
    paths: np.ndarray, path: str | Path, count: int = 20, cumulative: bool = True, name: str | None = None
) -> Path:
    """Up to ``count`` sample paths ``(P, T)``; ``cumulative`` plots cumulative sums (log prices) from 0."""
    paths = np.asarray(paths)[:count]
    figure, axis = plt.subplots(figsize=(8, 4))
    if cumulative:  # log price relative to the start: 0 before the first return
        values = np.concatenate([np.zeros((len(paths), 1)), np.cumsum(paths, axis=1)], axis=1)
    else:
        values = paths
    axis.plot(values.T, linewidth=0.7)
    axis.set_xlabel("step")
    axis.set_ylabel("cumulative log return" if cumulative else "value")
    axis.set_title(_titled(f"{len(paths)} generated paths", name))
    return _save(figure, path)


def plot_embedding(
    real: np.ndarray,  # (N, T, F) windows
    generated: np.ndarray,  # (M, T, F) windows
    path: str | Path,  # PNG to write
    method: str = "pca",  # "pca" or "tsne"
    count: int = 1000,  # windows drawn from each set
    seed: int = 0,  # subsampling and t-SNE seed
) -> Path:
    """2-D PCA or t-SNE of windows averaged over features (TimeGAN's visualisation), real vs generated."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    rng = np.random.default_rng(seed)
    real_sample = real[rng.permutation(len(real))[:count]].mean(axis=2)
    generated_sample = generated[rng.permutation(len(generated))[:count]].mean(axis=2)
    if method == "pca":
        projection = PCA(n_components=2).fit(real_sample)
        real_points, generated_points = (
            projection.transform(real_sample),
            projection.transform(generated_sample),
        )
    elif method == "tsne":
        both = np.concatenate([real_sample, generated_sample])
        perplexity = float(min(40, max(2, len(both) // 4)))
        points = TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(both)
        real_points, generated_points = points[: len(real_sample)], points[len(real_sample) :]
    else:
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.scatter(*real_points.T, s=4, alpha=0.4, label="real")
    axis.scatter(*generated_points.T, s=4, alpha=0.4, label="generated")
    axis.set_title(f"{method.upper()} of windows (mean over features)")
    axis.set_xlabel("component 1")
    axis.set_ylabel("component 2")
    axis.legend()
    return _save(figure, path)
