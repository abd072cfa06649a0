"""polemos.tabular: synthetic tables with a conditional GAN (``TabularGAN``) and their evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from polemos.lazy import lazy_attributes

# bound now: importing the submodule of the same name would otherwise shadow the function (numpy and pandas only)
from polemos.tabular.evaluate import evaluate

if TYPE_CHECKING:  # for type checkers and IDEs; at run time, __getattr__ imports on first use
    from polemos.tabular.layout import ColumnSpan
    from polemos.tabular.synthesizer import FitReport, IdentifierColumnWarning, TabularConfig, TabularGAN
    from polemos.tabular.transformer import Bounds, TableTransformer

# name -> module; imported on first use, so that `polemos tabular --help` starts without loading torch
_EXPORTS = {
    "ColumnSpan": "polemos.tabular.layout",
    "FitReport": "polemos.tabular.synthesizer",
    "IdentifierColumnWarning": "polemos.tabular.synthesizer",
    "TabularConfig": "polemos.tabular.synthesizer",
    "TabularGAN": "polemos.tabular.synthesizer",
    "Bounds": "polemos.tabular.transformer",
    "TableTransformer": "polemos.tabular.transformer",
}
__all__ = [
    "Bounds",
    "ColumnSpan",
    "FitReport",
    "IdentifierColumnWarning",
    "TableTransformer",
    "TabularConfig",
    "TabularGAN",
    "evaluate",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, globals())
