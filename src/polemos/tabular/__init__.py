"""polemos.tabular: synthetic tables with a conditional GAN (``TabularGAN``) and their evaluation."""

from polemos.tabular.evaluate import evaluate
from polemos.tabular.layout import ColumnSpan
from polemos.tabular.synthesizer import FitReport, TabularConfig, TabularGAN
from polemos.tabular.transformer import Bounds, TableTransformer

__all__ = ["Bounds", "ColumnSpan", "FitReport", "TableTransformer", "TabularConfig", "TabularGAN", "evaluate"]
