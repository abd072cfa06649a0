"""User-facing errors.

Anything a user can fix (bad path, unknown name, impossible config) raises :class:`PolemosError` with a one-line
message naming the problem and the fix. The CLI prints it as ``error: <message>`` and exits with code 2,
never with a traceback.
"""

from __future__ import annotations


class PolemosError(Exception):
    """A problem the user can fix; its message is one line naming the problem and the fix."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
