"""The column layout of the encoded table, declared as data.

The transformer turns a data frame into a float matrix whose columns are grouped into *spans*. Every other
part of the tabular model walks this layout instead of re-deriving it: the generator's output activations
(tanh for a scalar, gumbel-softmax for a one-hot block), the conditional vector, the training-by-sampling
sampler and the decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SpanKind = Literal["scalar", "mode", "category"]
Activation = Literal["tanh", "softmax"]


@dataclass(frozen=True)
class ColumnSpan:
    """A contiguous block of the encoded matrix that belongs to one source column.

    Attributes:
        column: Name of the source column (or of the merged column of a fixed combination).
        kind: ``"scalar"``: the normalized value of a continuous column inside its mode, in [-1, 1];
            ``"mode"``: one-hot of the mixture component (plus a last slot for "missing" when the column has
            missing values); ``"category"``: one-hot of a categorical, boolean or constant column.
        start: Index of the first encoded column of the span.
        width: Number of encoded columns.
        activation: Output activation the generator applies to the span.
        conditionable: Whether the span takes part in the conditional vector (category spans of width >= 2).
    """

    column: str
    kind: SpanKind
    start: int
    width: int
    activation: Activation
    conditionable: bool = False

    @property
    def end(self) -> int:
        """One past the last encoded column of the span."""
        return self.start + self.width


@dataclass(frozen=True)
class CondSpan:
    """Where a conditionable data span sits in the conditional vector.

    Attributes:
        column: Name of the source column.
        data_start: Start of the span in the encoded data matrix.
        cond_start: Start of the span in the conditional vector.
        width: Number of slots (categories, "other" and "missing").
    """

    column: str
    data_start: int
    cond_start: int
    width: int


def cond_spans(layout: tuple[ColumnSpan, ...]) -> tuple[CondSpan, ...]:
    """The conditional-vector layout: the conditionable spans of ``layout``, packed one after another."""
    spans: list[CondSpan] = []
    cond_start = 0
    for span in layout:
        if span.conditionable:
            spans.append(CondSpan(span.column, span.start, cond_start, span.width))
            cond_start += span.width
    return tuple(spans)


def layout_width(layout: tuple[ColumnSpan, ...]) -> int:
    """Total number of encoded columns."""
    return layout[-1].end if layout else 0
