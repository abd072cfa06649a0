"""The self-contained HTML report of a run folder: ``write_report(run_dir)`` -> ``RUN/report.html``.

One file, everything inline (images as data URIs, CSS and JS in the page), no network access; it renders
whatever the folder holds, so it can be written while the run trains.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_report"]


def write_report(run_dir: str | Path) -> Path:
    """Writes ``RUN/report.html`` for a run folder and returns its path.

    The page shows the run's header (name, modality, steps, wall time), the resolved config, sample grids over
    training with a step slider, latent interpolations (image runs), loss curves with health alarms, the
    discriminator's logits and E[sign(D(real))], gradient norms, speed, evaluation records with their
    protocol, and the health alarm table. Parts that do not exist yet are replaced by a note. The file is
    written atomically (a temporary file renamed over the old report).

    Example:
        >>> from polemos.report import write_report
        >>> write_report("runs/demo")  # doctest: +SKIP
        PosixPath('runs/demo/report.html')

    Args:
        run_dir: The ``--out`` folder of a training run (finished or still running).

    Raises:
        PolemosError: The folder is not a polemos run folder.
    """
    from polemos.report.build import write_report as _write_report

    return _write_report(Path(run_dir))
