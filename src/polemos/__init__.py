"""polemos: adversarial learning that is stable by default and measurable offline."""

from __future__ import annotations

__version__ = "0.1.0"
