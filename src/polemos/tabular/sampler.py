"""Training-by-sampling: conditional vectors and the real rows that match them (Xu et al. 2019, CTGAN).

Each training row picks one conditionable column uniformly and one of its slots with probability proportional
to ``log(1 + count)``, so rare categories are seen often enough for the generator to learn them; the real
batch is drawn among the rows that have the chosen slot. All sampling is vectorised and uses a
``torch.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from polemos.tabular.layout import CondSpan

__all__ = ["CondBatch", "ConditionalSampler", "one_hot_conditions", "sample_data_conditions"]


@dataclass(frozen=True)
class CondBatch:
    """Conditions for one batch.

    Attributes:
        vector: The conditional vectors, shape ``(N, cond_dim)`` (``cond_dim`` may be 0).
        column: Index of the conditioned column (into the sampler's cond spans) per row, shape ``(N,)``.
        slot: The chosen slot within that column per row, shape ``(N,)``.
    """

    vector: Tensor
    column: Tensor
    slot: Tensor


class ConditionalSampler:
    """Draws conditional vectors and matching real rows from an encoded table.

    Args:
        encoded: The encoded training table, shape ``(n_rows, data_dim)``.
        spans: The conditional-vector layout.
    """

    def __init__(self, encoded: np.ndarray, spans: tuple[CondSpan, ...]) -> None:
        self.spans = spans
        self.n_rows = encoded.shape[0]
        self.cond_dim = sum(span.width for span in spans)
        max_width = max((span.width for span in spans), default=1)
        log_counts = np.zeros((len(spans), max_width))
        frequencies = np.zeros((len(spans), max_width))
        slot_of_row = []
        for position, span in enumerate(spans):
            slots = encoded[:, span.data_start : span.data_start + span.width].argmax(axis=1)
            counts = np.bincount(slots, minlength=span.width)
            log_counts[position, : span.width] = np.log1p(counts)
            frequencies[position, : span.width] = counts
            slot_of_row.append(span.cond_start + slots)
        # probability of each slot of each column, rows padded with zeros to max_width
        self.slot_frequencies = frequencies / np.maximum(frequencies.sum(axis=1, keepdims=True), 1)
        probabilities = log_counts / np.maximum(log_counts.sum(axis=1, keepdims=True), 1e-12)
        self.slot_probabilities = torch.as_tensor(probabilities, dtype=torch.float64)
        self.cond_start = torch.tensor([span.cond_start for span in spans], dtype=torch.long)
        # rows grouped by global slot id: rows_by_slot[offset[s] : offset[s] + count[s]] have slot s
        if spans:
            global_slots = np.stack(slot_of_row)  # (columns, rows)
            order = np.argsort(global_slots, axis=1, kind="stable")
            self.rows_by_slot = torch.as_tensor(order.reshape(-1), dtype=torch.long)
            counts = np.zeros(self.cond_dim, dtype=np.int64)
            offsets = np.zeros(self.cond_dim, dtype=np.int64)
            for position, span in enumerate(spans):
                slot_counts = np.bincount(global_slots[position] - span.cond_start, minlength=span.width)
                counts[span.cond_start : span.cond_start + span.width] = slot_counts
                # the position's sorted rows start at position * n_rows
                offsets[span.cond_start : span.cond_start + span.width] = position * self.n_rows + np.concatenate(
                    [[0], np.cumsum(slot_counts)[:-1]]
                )
            self.slot_counts = torch.as_tensor(counts)
            self.slot_offsets = torch.as_tensor(offsets)

    def sample_conditions(self, batch_size: int, generator: torch.Generator) -> CondBatch:
        """Training conditions: a uniform column per row, a slot with probability ~ log(1 + count)."""
        if not self.spans:
            empty = torch.zeros(batch_size, dtype=torch.long)
            return CondBatch(torch.zeros(batch_size, 0), empty, empty)
        column = torch.randint(len(self.spans), (batch_size,), generator=generator)
        slot = torch.multinomial(self.slot_probabilities[column], 1, generator=generator).squeeze(1)
        return CondBatch(self.one_hot(column, slot), column, slot)

    def sample_conditions_like_data(self, batch_size: int, generator: torch.Generator) -> CondBatch:
        """Conditions whose slot follows the data's frequencies (sampling without user conditions)."""
        return sample_data_conditions(self.spans, self.slot_frequencies, batch_size, generator)

    def one_hot(self, column: Tensor, slot: Tensor) -> Tensor:
        """Conditional vectors with a single 1 at ``(column, slot)`` per row."""
        return one_hot_conditions(self.spans, column, slot)

    def sample_rows(self, batch: CondBatch, generator: torch.Generator) -> Tensor:
        """Indices of real rows that have each row's chosen slot (uniform rows when there is no condition)."""
        if not self.spans:
            return torch.randint(self.n_rows, (batch.column.shape[0],), generator=generator)
        global_slot = self.cond_start[batch.column] + batch.slot
        counts = self.slot_counts[global_slot]
        uniform = torch.rand(global_slot.shape[0], generator=generator, dtype=torch.float64)
        # slots drawn by training-by-sampling always have count >= 1 (log(1 + 0) = 0 probability)
        within = (uniform * counts.clamp(min=1)).long().clamp(max=counts.clamp(min=1) - 1)
        return self.rows_by_slot[self.slot_offsets[global_slot] + within]


def one_hot_conditions(spans: tuple[CondSpan, ...], column: Tensor, slot: Tensor) -> Tensor:
    """Conditional vectors with a single 1 at ``(column, slot)`` per row, shape ``(N, cond_dim)``."""
    cond_dim = sum(span.width for span in spans)
    cond_start = torch.tensor([span.cond_start for span in spans], dtype=torch.long)
    vector = torch.zeros(column.shape[0], cond_dim)
    if spans:
        vector[torch.arange(column.shape[0]), cond_start[column] + slot] = 1.0
    return vector


def sample_data_conditions(
    spans: tuple[CondSpan, ...],  # the conditional-vector layout
    slot_frequencies: np.ndarray,  # (columns, max_width) empirical slot frequencies, rows summing to 1
    batch_size: int,  # number of conditions
    generator: torch.Generator,  # source of randomness
) -> CondBatch:
    """Conditions with a uniform column and a slot drawn from the data's frequencies of that column."""
    if not spans:
        empty = torch.zeros(batch_size, dtype=torch.long)
        return CondBatch(torch.zeros(batch_size, 0), empty, empty)
    column = torch.randint(len(spans), (batch_size,), generator=generator)
    probabilities = torch.as_tensor(slot_frequencies, dtype=torch.float64)[column]
    slot = torch.multinomial(probabilities, 1, generator=generator).squeeze(1)
    return CondBatch(one_hot_conditions(spans, column, slot), column, slot)
