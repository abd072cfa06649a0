"""Writing output files: atomically (a crash never leaves half a file) and with the usual permissions.

``tempfile.mkstemp`` and safetensors' ``save_file`` both create files readable by their owner only (0600); a run
folder shared with a team, a web server or a CI artefact store needs the permissions the umask gives any other
file (0644 with the common umask 0022).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "usual_permissions"]


def usual_permissions(path: str | Path) -> None:
    """Gives ``path`` the permissions a new file gets under the current umask (``0o666 & ~umask``)."""
    umask = os.umask(0)  # reading the umask means setting it: put it straight back
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Calls ``write(temporary_path)`` then renames it over ``path``: readers never see a partial file.

    The temporary file lies next to ``path`` (same file system, so the rename is atomic), is flushed to disk
    before the rename, gets the usual permissions, and is removed if ``write`` fails.

    Returns:
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        with open(temporary, "rb") as file:
            os.fsync(file.fileno())
        usual_permissions(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
