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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _write_failure(path, error) from None
    os.close(handle)
    try:
        write(Path(temporary))
        with open(temporary, "rb") as file:
            os.fsync(file.fileno())
        usual_permissions(temporary)
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if _is_storage_error(error):
            raise _write_failure(path, error) from None
        raise
    return path


def _is_storage_error(error: BaseException) -> bool:
    """An error of the file system, not of the writer's logic: OSError, or what torch and safetensors raise when
    the disk fills mid-write (a RuntimeError "file write failed" / "unexpected pos", SafetensorError)."""
    if isinstance(error, OSError) or type(error).__name__ == "SafetensorError":
        return True
    text = str(error)
    return isinstance(error, RuntimeError) and ("write failed" in text or "unexpected pos" in text)


def _write_failure(path: Path, error: BaseException) -> Exception:
    """One line for a file that could not be written; the file that was there is untouched."""
    from polemos.errors import PolemosError

    reason = error.strerror if isinstance(error, OSError) and error.strerror else (str(error).splitlines() or [""])[0]
    return PolemosError(
        f"cannot write {str(path)!r} ({reason.strip() or type(error).__name__}); free disk space or choose a "
        "writable folder (what was written before is kept)"
    )
