"""``TabularGAN``: a conditional tabular GAN with exact conditioning, time budgets and safe persistence.

The model follows CTGAN's recipe (Xu et al. 2019, https://arxiv.org/abs/1907.00503): mode-specific
normalization, a conditional generator trained by sampling, a packed discriminator (PacGAN) and a WGAN-GP game
by default; any loss and penalty of :mod:`polemos.game` can be chosen. The differences: vectorised
preprocessing that takes seconds, a one-hot cap for high-cardinality columns, a wall-clock budget, exact
conditioning, outputs kept inside the observed ranges and dtypes, a post-training calibration of the
marginals, bit-for-bit reproducibility with a seed, and a safetensors + JSON format that loads on CPU.
Told the column a downstream model will predict (``target=``), it draws that column last, from the other
generated columns, with a classifier head trained on the real rows (:class:`~polemos.tabular.networks.
TargetClassifier`), which raises train-on-synthetic scores (Adult numbers in docs/benchmarks.md).

Threads: ``fit`` runs torch on ONE intra-op thread (restored afterwards) unless ``OMP_NUM_THREADS`` is set or
``num_threads`` is given. These small MLPs gain little from a second thread, and on shared cores a second
thread made a step 6x slower in our measurements (Adult, 2 busy cores: 141-213 ms/step on 1 thread, 902-1284
on 2).
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from polemos.checks import (
    MAX_SEED,
    check_memory,
    check_options,
    check_save_folder,
    check_seed,
    check_time_budget,
    read_model_json,
    saved_model_kind,
)
from polemos.errors import PolemosError
from polemos.files import usual_permissions
from polemos.game.ema import EMA
from polemos.game.losses import get_loss
from polemos.game.penalties import get_penalty
from polemos.game.schedules import LR_SCHEDULES, lr_schedule_factor
from polemos.tabular.layout import ColumnSpan, CondSpan, cond_spans
from polemos.tabular.networks import Discriminator, Generator, OutputActivation, TargetClassifier
from polemos.tabular.sampler import CondBatch, ConditionalSampler, one_hot_conditions, sample_data_conditions
from polemos.tabular.summary import SUMMARY_FILE, TableSummary, summarize_table
from polemos.tabular.transformer import Bounds, ColumnModel, TableTransformer
from polemos.tabular.validation import (
    check_cells,
    check_column_names,
    check_finite,
    identifier_columns,
    identifier_note,
)

__all__ = ["MIN_ROWS", "FitReport", "IdentifierColumnWarning", "TabularConfig", "TabularGAN"]

FORMAT_VERSION = 1
_WEIGHTS_FILE = "generator.safetensors"
_CONFIG_FILE = "model.json"
# fewer rows than the discriminator judges together (pac, 10 by default) leave nothing to learn a distribution from
MIN_ROWS = 10
# calibration: this many rounds of bias corrections of the one-hot marginals, then one pass for numeric quantiles
_CALIBRATION_ROUNDS = 3
_CALIBRATION_LEVELS = 201  # quantiles stored per numeric column
# rows generated at once during calibration: bounded blocks were up to 4x faster per row than 20,000 rows at once
# on busy cores, and their cost measures the whole calibration's (for the time budget)
_CALIBRATION_CHUNK = 2_000
# the measured calibration cost is multiplied by this before training reserves it (timings vary on shared cores)
_CALIBRATION_MARGIN = 1.5
# the smallest valid value of numeric options; batch_size and pac are also checked together in TabularConfig
_OPTION_BOUNDS = {
    **dict.fromkeys(
        (
            "noise_dim",
            "generator_hidden",
            "discriminator_hidden",
            "batch_size",
            "pac",
            "discriminator_steps",
            "max_categories",
            "max_modes",
            "max_fit_rows",
            "calibration_rows",
        ),
        ">= 1",
    ),
    **dict.fromkeys(("generator_lr", "discriminator_lr", "temperature", "ema_half_life_samples"), "> 0"),
    **dict.fromkeys(("penalty_weight", "weight_decay", "seed"), ">= 0"),
}


@dataclass(frozen=True)
class TabularConfig:
    """Hyperparameters of :class:`TabularGAN` (saved with the model); ``-o KEY=VALUE`` of ``polemos tabular fit``.

    Attributes:
        loss: Adversarial loss, a name of polemos.game.losses.LOSSES.
        penalty: Discriminator penalty, a name of polemos.game.penalties.PENALTIES.
        penalty_weight: Multiplier of the penalty (lambda of WGAN-GP, gamma/2 of R1).
        noise_dim: Size of the generator's latent noise.
        generator_hidden: Widths of the generator's residual blocks.
        discriminator_hidden: Widths of the discriminator's hidden layers.
        batch_size: Rows per step; a multiple of pac (200 beat 500 at equal wall-clock on Adult).
        pac: Rows judged together by the discriminator (PacGAN).
        generator_lr: Adam learning rate of the generator.
        discriminator_lr: Adam learning rate of the discriminator.
        betas: Adam betas.
        weight_decay: Adam weight decay of both networks.
        discriminator_steps: Discriminator updates per generator update.
        discriminator_dropout: Dropout after each hidden layer of the discriminator.
        condition_discriminator: Also feed the conditional vector to the discriminator (as CTGAN).
        lr_schedule: "constant" or "cosine": learning rates decay to 0 over the epochs or budget.
        temperature: Gumbel-softmax temperature of one-hot outputs during training.
        ema_half_life_samples: Sample with an EMA of the generator (half-life in rows).
        target: A categorical column predicted downstream: generated last, by a classifier head.
        max_categories: One-hot cap per categorical column; rarer categories share an "other" slot.
        max_modes: Mixture components per continuous column (before pruning).
        max_fit_rows: Rows used to fit each column's mixture.
        calibrate: After training, match the generator's marginals to the observed ones.
        calibration_rows: Rows generated to estimate the generator's marginals.
        seed: Seed of preprocessing, initialization and training.
    """

    loss: str = "wasserstein"
    penalty: str = "wgan-gp"
    penalty_weight: float = 10.0
    noise_dim: int = 128
    generator_hidden: tuple[int, ...] = (256, 256)
    discriminator_hidden: tuple[int, ...] = (256, 256)
    batch_size: int = 200
    pac: int = 10
    generator_lr: float = 2e-4
    discriminator_lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.9)
    weight_decay: float = 1e-6
    discriminator_steps: int = 1
    discriminator_dropout: float = 0.5
    condition_discriminator: bool = True
    lr_schedule: str = "constant"
    temperature: float = 0.2
    ema_half_life_samples: float | None = None
    target: str | None = None
    max_categories: int = 100
    max_modes: int = 10
    max_fit_rows: int = 5_000
    calibrate: bool = True
    calibration_rows: int = 20_000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.batch_size <= 0 or self.pac <= 0 or self.batch_size % self.pac:
            raise PolemosError(
                f"batch_size {self.batch_size} must be a positive multiple of pac {self.pac}; change one of them"
            )
        if self.lr_schedule not in LR_SCHEDULES:
            raise PolemosError(f"unknown lr_schedule {self.lr_schedule!r}; valid: {', '.join(LR_SCHEDULES)}")
        if len(self.betas) != 2 or not all(0.0 <= beta < 1.0 for beta in self.betas):
            raise PolemosError(f"option betas must be two numbers in [0, 1), got {list(self.betas)}; e.g. (0.5, 0.9)")
        if not 0.0 <= self.discriminator_dropout < 1.0:
            raise PolemosError(f"discriminator_dropout {self.discriminator_dropout} must lie in [0, 1); e.g. 0.0")


class IdentifierColumnWarning(UserWarning):
    """A categorical column looks like an identifier: synthetic rows will copy its real values (privacy)."""


@dataclass(frozen=True)
class FitReport:
    """What a fit did.

    Attributes:
        preprocessing_seconds: Time to detect columns, fit mixtures, encode the table and summarize it.
        training_seconds: Time spent training and calibrating.
        steps: Generator updates made.
        epochs: Equivalent passes over the table (``steps * batch_size / rows``).
        stopped_by: ``"epochs"`` or ``"time_budget"``.
        rows: Rows of the training table.
    """

    preprocessing_seconds: float
    training_seconds: float
    steps: int
    epochs: float
    stopped_by: str
    rows: int


@dataclass(frozen=True)
class _CalibrationTargets:
    """The observed marginals the calibration matches, computed before training (so outside its time reserve)."""

    slot_frequencies: np.ndarray  # mean of every encoded column: the frequency of each one-hot slot
    quantiles: dict[str, np.ndarray]  # per numeric column, its quantiles at _CALIBRATION_LEVELS even levels


@dataclass
class _Condition:
    """A validated user condition on one source column."""

    column: str
    model: ColumnModel
    slots: list[int] = field(default_factory=list)  # allowed one-hot slots (categorical)
    value: Any = None  # the requested category (categorical)
    low: float | None = None  # numeric range, in the column's float units
    high: float | None = None


@contextmanager
def _threads(num_threads: int | None):
    """Temporarily sets torch's intra-op threads (see the module docstring)."""
    previous = torch.get_num_threads()
    if num_threads is None:
        num_threads = previous if "OMP_NUM_THREADS" in os.environ else 1
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class TabularGAN:
    """A conditional GAN for data frames.

    Args:
        constraints: Bounds per numeric column, ``{"age": {"min": 18, "max": 90, "integer": True}}`` or
            :class:`Bounds`; generated values always satisfy them. A :class:`TabularConfig` given here is taken as
            the hyperparameters (``TabularGAN(TabularConfig(seed=3))``, as ``SeriesGAN(SeriesGANConfig(...))``),
            with ``**config`` overriding its fields.
        fixed_combinations: Groups of columns, e.g. ``[("city", "country")]``, whose generated value tuples
            are always among the observed ones.
        num_threads: Torch threads during fit; ``None`` uses 1 unless ``OMP_NUM_THREADS`` is set.
        verbose: Show progress bars for preprocessing and training.
        **config: Hyperparameters, see :class:`TabularConfig`.

    Example:
        >>> model = TabularGAN(seed=0, target="income").fit(frame, time_budget=60)
        >>> rows = model.sample(1000, conditions={"sex": "Female", "age": (30, 40)}, seed=1)
    """

    def __init__(
        self,
        constraints: Mapping[str, Bounds | Mapping[str, Any]] | None = None,
        fixed_combinations: Sequence[Sequence[str]] = (),
        num_threads: int | None = None,
        verbose: bool = True,
        **config: Any,
    ) -> None:
        if isinstance(constraints, TabularConfig):  # a config in the first place, as SeriesGAN takes one
            config = {**asdict(constraints), **config}
            constraints = None
        unknown = set(config) - set(TabularConfig.__dataclass_fields__)
        if unknown:
            valid = ", ".join(TabularConfig.__dataclass_fields__)
            raise PolemosError(f"unknown TabularGAN option(s) {sorted(unknown)}; valid options: {valid}")
        if "seed" in config:
            check_seed(config["seed"], "seed (--seed)")
        self.config = TabularConfig(**check_options(TabularConfig, config, _OPTION_BOUNDS))
        get_loss(self.config.loss)  # fail early on unknown names
        get_penalty(self.config.penalty)
        self.bounds = {name: Bounds.parse(name, value) for name, value in (constraints or {}).items()}
        self.fixed_combinations = [list(group) for group in fixed_combinations]
        self.num_threads = num_threads
        self.verbose = verbose
        self.transformer: TableTransformer | None = None
        self.generator: Generator | None = None
        self.activation: OutputActivation | None = None
        self.cond_spans: tuple[CondSpan, ...] = ()
        self._target_split: _TargetSplit | None = None
        self.slot_frequencies: np.ndarray = np.zeros((0, 1))
        self.report: FitReport | None = None
        self.history: list[dict[str, float]] = []
        # one-line notes of the last fit about the data (e.g. identifier-like columns), also issued as warnings
        self.notes: tuple[str, ...] = ()
        self.real_summary: TableSummary | None = None  # row-free statistics of the training table (for reports)
        self.data_source: str | None = None  # where the training table came from, if known (saved, for reports)

    def __repr__(self) -> str:
        """What the model is, for notebooks: fitted or not, its columns, target and seed."""
        target = f", target={self.config.target!r}" if self.config.target else ""
        if self.transformer is None:
            return f"TabularGAN(not fitted{target}, seed={self.config.seed})"
        names = [model.name for model in self.transformer.models]
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
        return f"TabularGAN(fitted: {len(names)} columns [{shown}]{target}, seed={self.config.seed})"

    # ------------------------------------------------------------------------------------------------
    # training

    def fit(
        self,
        data: pd.DataFrame,
        discrete_columns: Sequence[str] | None = None,
        time_budget: float | None = None,
        epochs: int | None = None,
    ) -> TabularGAN:
        """Fits the model on ``data``.

        Args:
            data: The training table.
            discrete_columns: Columns to treat as categorical; ``None`` auto-detects them (text, categorical
                and boolean dtypes).
            time_budget: Wall-clock seconds for the whole fit (preprocessing and calibration included);
                training stops early enough to finish within it. With a budget the number of steps depends on
                the machine's speed, so only ``epochs`` alone gives bit-for-bit reproducible models.
            epochs: Passes over the table. Default: 300 when no time budget is given, unlimited otherwise.

        Returns:
            ``self``.

        Raises:
            PolemosError: For bad input (empty table, all-missing column, unknown column name, mixed-type
                column, column names that are not unique text, cells holding lists or dicts, infinite numbers)
                or bad settings.

        Warns:
            IdentifierColumnWarning: When a column modelled as categorical has a distinct value in (nearly)
                every row (see :func:`polemos.tabular.validation.identifier_columns`); the note is also kept in
                ``notes``.
        """
        start = time.perf_counter()
        if not isinstance(data, pd.DataFrame):
            raise PolemosError(f"fit expects a pandas DataFrame, got {type(data).__name__}; load the table first")
        check_time_budget(time_budget, "time_budget (--time-budget)")
        if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer))):
            raise PolemosError(f"epochs must be a whole number of passes, got {epochs!r}; e.g. epochs=300")
        if epochs is not None and epochs <= 0:
            raise PolemosError(f"epochs must be positive, got {epochs}; give a number >= 1")
        # before any work: these tables failed deep inside (KeyError, OverflowError) or trained a broken model
        check_column_names(data)
        check_cells(data)
        check_finite(data)
        if epochs is None and time_budget is None:
            epochs = 300
        config = self.config
        if config.target is not None:
            if config.target not in data.columns:
                valid = ", ".join(map(str, data.columns))
                raise PolemosError(f"target column {config.target!r} does not exist; valid: {valid}")
            if any(config.target in group for group in self.fixed_combinations):
                raise PolemosError(
                    f"target column {config.target!r} is part of a fixed combination; remove it from the group"
                )
        with _threads(self.num_threads), torch.random.fork_rng(), self._progress() as progress:
            torch.manual_seed(config.seed)
            prep_task = progress.add_task("preprocessing", total=3) if progress else None
            transformer = TableTransformer(
                max_categories=config.max_categories,
                max_modes=config.max_modes,
                max_fit_rows=config.max_fit_rows,
                bounds=self.bounds,
                fixed_combinations=self.fixed_combinations,
            ).fit(data, discrete_columns, seed=config.seed)
            if len(data) < MIN_ROWS:  # after the column checks, whose messages are more specific
                raise PolemosError(
                    f"the table has {len(data)} row{'' if len(data) == 1 else 's'}; a TabularGAN needs at least "
                    f"{MIN_ROWS} rows to learn from"
                )
            declared = set(discrete_columns or ())
            # columns listed as discrete were chosen deliberately; the auto-detected ones may leak identifiers
            categorical = [model.name for model in transformer.models if model.kind == "categorical"]
            identifiers = identifier_columns(data, [name for name in categorical if name not in declared])
            self.notes = (identifier_note(identifiers),) if identifiers else ()
            for note in self.notes:
                warnings.warn(note, IdentifierColumnWarning, stacklevel=2)
            self._advance(progress, prep_task)
            encoded = transformer.transform(data, seed=config.seed)
            self._advance(progress, prep_task)
            spans = cond_spans(transformer.layout)
            sampler = ConditionalSampler(encoded, spans)
            self._advance(progress, prep_task)
            source_kinds = {member: column.kind for column in transformer.models for member in column.members}
            self.real_summary = summarize_table(data, source_kinds, seed=config.seed)
            targets = _calibration_targets(transformer, data, encoded) if config.calibrate else None
            preprocessing_seconds = time.perf_counter() - start

            self.transformer, self.cond_spans = transformer, spans
            self.slot_frequencies = sampler.slot_frequencies
            steps_per_epoch = max(1, len(data) // config.batch_size)
            total_steps = math.inf if epochs is None else epochs * steps_per_epoch
            deadline = math.inf if time_budget is None else start + time_budget
            train_task = (
                progress.add_task("training", total=None if epochs is None else total_steps) if progress else None
            )
            steps, stopped_by = self._train(encoded, sampler, total_steps, deadline, progress, train_task)
            if steps == 0:  # an untrained generator writes noise: say so instead of saving it
                assert time_budget is not None  # without a budget, epochs >= 1 always train
                raise PolemosError(
                    f"time_budget={time_budget:g} s (--time-budget) left no time to train after preprocessing "
                    f"({preprocessing_seconds:.1f} s) and the time kept for calibration; give a larger budget "
                    f"(e.g. {math.ceil(4 * preprocessing_seconds + 10)} s) or calibrate=False (-o calibrate=false)"
                )
            if targets is not None:
                self._calibrate(targets, deadline)
        training_seconds = time.perf_counter() - start - preprocessing_seconds
        self.report = FitReport(
            preprocessing_seconds=preprocessing_seconds,
            training_seconds=training_seconds,
            steps=steps,
            epochs=steps * config.batch_size / len(data),
            stopped_by=stopped_by,
            rows=len(data),
        )
        return self

    def _train(
        self,
        encoded: np.ndarray,
        sampler: ConditionalSampler,
        total_steps: float,
        deadline: float,
        progress: Any,
        task: Any,
    ) -> tuple[int, str]:
        """The training loop; returns the steps made and why it stopped."""
        config = self.config
        assert self.transformer is not None
        layout = self.transformer.layout
        data_dim, cond_dim = self.transformer.width, sampler.cond_dim
        generator = self._build_generator(cond_dim)
        target, target_head = self._target_split, generator.target_head
        critic_cond_dim = cond_dim if config.condition_discriminator else 0
        discriminator = Discriminator(
            data_dim + critic_cond_dim, config.discriminator_hidden, config.pac, config.discriminator_dropout
        )

        def critic_input(rows: Tensor, cond_vector: Tensor) -> Tensor:
            return torch.cat([rows, cond_vector], dim=1) if config.condition_discriminator else rows

        self.activation = OutputActivation(layout)
        head_parameters = set(target_head.parameters()) if target_head is not None else set()
        generator_optimizer = torch.optim.Adam(
            [parameter for parameter in generator.parameters() if parameter not in head_parameters],
            lr=config.generator_lr,
            betas=config.betas,
            weight_decay=config.weight_decay,
        )
        discriminator_optimizer = torch.optim.Adam(
            discriminator.parameters(),
            lr=config.discriminator_lr,
            betas=config.betas,
            weight_decay=config.weight_decay,
        )
        adversarial = get_loss(config.loss)
        penalty = get_penalty(config.penalty)
        ema = EMA(generator, config.ema_half_life_samples) if config.ema_half_life_samples else None
        table = torch.as_tensor(encoded)
        if target_head is not None:
            classifier_optimizer = torch.optim.Adam(
                target_head.parameters(),
                lr=config.discriminator_lr,
                betas=config.betas,
                weight_decay=config.weight_decay,
            )
        rng = torch.Generator().manual_seed(config.seed)
        batch = config.batch_size
        classifier_loss = torch.zeros(())
        self.history = []
        steps = 0
        stopped_by = "epochs"
        # with a budget, keep time for the calibration after training: its cost, measured on this generator
        reserve = (
            _CALIBRATION_MARGIN * self._calibration_seconds(generator)
            if config.calibrate and math.isfinite(deadline)
            else 0.0
        )
        loop_start = time.perf_counter()
        while steps < total_steps:
            now = time.perf_counter()
            step_seconds = (now - loop_start) / steps if steps else 0.0
            # stop unless the next step and the calibration both end before the deadline
            if now + step_seconds + reserve >= deadline:
                stopped_by = "time_budget"
                break
            if config.lr_schedule != "constant":
                # t = the fraction of the steps or of the budget already used
                done = max(steps / total_steps, (now - loop_start) / max(deadline - loop_start, 1e-9))
                factor = lr_schedule_factor(config.lr_schedule, done)
                for optimizer, base_lr in (
                    (generator_optimizer, config.generator_lr),
                    (discriminator_optimizer, config.discriminator_lr),
                ):
                    for group in optimizer.param_groups:
                        group["lr"] = base_lr * factor
            for _ in range(config.discriminator_steps):
                cond = sampler.sample_conditions(batch, rng)
                noise = torch.randn(batch, config.noise_dim, generator=rng)
                with torch.no_grad():
                    fake, _ = self._activate(generator, generator(noise, cond.vector), config.temperature)
                # real rows are drawn for a shuffled copy of the conditions: pairs are not matched row by row
                permutation = torch.randperm(batch, generator=rng)
                real_cond = CondBatch(cond.vector[permutation], cond.column[permutation], cond.slot[permutation])
                real = table[sampler.sample_rows(real_cond, rng)]
                real_inputs = critic_input(real, real_cond.vector)
                fake_inputs = critic_input(fake, cond.vector)
                d_real_logits = discriminator(real_inputs)
                d_fake_logits = discriminator(fake_inputs)
                d_loss = adversarial.discriminator(d_real_logits, d_fake_logits)
                if penalty.name != "none":
                    penalty_value = penalty.compute(
                        discriminator.judge_packed,
                        discriminator.pack(real_inputs),
                        discriminator.pack(fake_inputs),
                    )
                    d_loss = d_loss + config.penalty_weight * penalty_value
                discriminator_optimizer.zero_grad(set_to_none=True)
                d_loss.backward()
                discriminator_optimizer.step()
            if target_head is not None and target is not None:
                # the target head learns P(target | features) from uniformly drawn real rows (not from the
                # conditional sampler, whose class balance is skewed on purpose)
                rows = table[torch.randint(len(table), (batch,), generator=rng)]
                labels = rows[:, target.start : target.end].argmax(dim=1)
                classifier_loss = F.cross_entropy(target_head(rows[:, target.features]), labels)
                classifier_optimizer.zero_grad(set_to_none=True)
                classifier_loss.backward()
                classifier_optimizer.step()

            cond = sampler.sample_conditions(batch, rng)
            noise = torch.randn(batch, config.noise_dim, generator=rng)
            fake, raw = self._activate(generator, generator(noise, cond.vector), config.temperature)
            d_fake_logits = discriminator(critic_input(fake, cond.vector))
            d_real_for_generator = None
            if adversarial.generator_needs_real:
                real_cond = sampler.sample_conditions(batch, rng)
                real = table[sampler.sample_rows(real_cond, rng)]
                d_real_for_generator = discriminator(critic_input(real, real_cond.vector)).detach()
            g_adversarial = adversarial.generator(d_fake_logits, d_real_for_generator)
            g_cond = self._cond_loss(raw, cond)
            g_loss = g_adversarial + g_cond
            generator_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
            generator_optimizer.step()
            steps += 1
            if ema is not None:
                ema.update(generator, batch, steps * batch)
            if steps % 50 == 1:
                # note: .item() is a sync point; done sparsely
                self.history.append(
                    {
                        "step": steps,
                        "loss/D": float(d_loss.detach()),
                        "loss/G": float(g_adversarial.detach()),
                        "loss/cond": float(g_cond.detach()),
                        "loss/classifier": float(classifier_loss.detach()),
                    }
                )
            if progress is not None:
                progress.advance(task)
        sampling_generator = ema.module if ema is not None else generator
        self.generator = sampling_generator.eval()
        return steps, stopped_by

    def _build_generator(self, cond_dim: int) -> Generator:
        """A fresh generator for the fitted layout, with a target head when ``config.target`` is set."""
        assert self.transformer is not None
        config, layout = self.config, self.transformer.layout
        target = self._target_split = _target_split(layout, config.target) if config.target else None
        target_head = (
            None
            if target is None
            else TargetClassifier(len(target.features), config.discriminator_hidden, target.end - target.start)
        )
        return Generator(config.noise_dim, cond_dim, config.generator_hidden, self.transformer.width, target_head)

    def _activate(self, generator: Generator, raw: Tensor, temperature: float) -> tuple[Tensor, Tensor]:
        """Activated rows and the raw logits, with the target (if any) drawn last from the other columns.

        The target head reads the other columns as one-hot rows (like the real rows it is trained on) and
        no gradient flows back through it: the features follow the game and the conditional vector (the
        discriminator sees both), the label follows the features. Returns ``(rows, raw)``, where ``raw``'s
        target span holds the head's logits.
        """
        assert self.activation is not None
        rows = self.activation(raw, temperature)
        target = self._target_split
        if generator.target_head is None or target is None:
            return rows, raw
        # one-hot rows as the head was trained on, detached: the generator cannot move its features to fool
        # the head into a label (that made off-data rows, e.g. negative x labelled as positive x's class)
        features = self.activation.harden(rows).detach()
        logits = generator.target_head(features[:, target.features])
        rows, raw = rows.clone(), raw.clone()
        raw[:, target.start : target.end] = logits
        # Gumbel-softmax of the head's logits; -log(-log(U)) from the global generator (seeded by fit)
        uniform = torch.rand_like(logits).clamp_(1e-10, 1.0 - 1e-10)
        rows[:, target.start : target.end] = F.softmax((logits - torch.log(-torch.log(uniform))) / temperature, dim=1)
        return rows, raw

    @torch.no_grad()
    def _calibrate(self, targets: _CalibrationTargets, deadline: float = math.inf) -> None:
        """Matches the generator's marginals to the observed ones, without touching the joint structure.

        * One-hot blocks (categories, mixture modes, the "missing" slots): ``_CALIBRATION_ROUNDS`` times, the
          log-ratio of observed to generated slot frequencies is added to the generator's output bias, so the
          softmax's marginal moves to the observed one. A round that would end past ``deadline`` (keeping time
          for the numeric pass) is skipped; training reserved time for all of them, so this only happens when
          the machine slowed down.
        * Numeric columns: a monotone quantile map from the generator's marginal to the observed marginal
          (``_CALIBRATION_LEVELS`` quantiles of each are stored with the model, as a Gaussian copula would).
        Rank correlations and conditional structure learned by the GAN are kept.
        """
        transformer, generator = self.transformer, self.generator
        assert transformer is not None and generator is not None
        size = self.config.calibration_rows
        rng = torch.Generator().manual_seed(self.config.seed + 1)
        softmax_spans = [span for span in transformer.layout if span.activation == "softmax"]
        slowest_pass = 0.0
        for _ in range(_CALIBRATION_ROUNDS):
            round_start = time.perf_counter()
            if round_start + 2 * slowest_pass > deadline:  # this round and the numeric pass would overrun
                break
            rows = self._calibration_rows(generator, size, rng)
            for span, generated in zip(softmax_spans, _slot_frequencies(rows, softmax_spans), strict=True):
                wanted = targets.slot_frequencies[span.start : span.end]
                # log(p_observed / p_generated), smoothed and clipped so one round cannot overshoot much
                delta = np.clip(np.log((wanted + 1e-4) / (generated + 1e-4)), -3.0, 3.0)
                bias = generator.head.bias[span.start : span.end]
                if self._target_split is not None and span.start == self._target_split.start:
                    assert generator.target_head is not None
                    bias = generator.target_head.body[-1].bias  # the target's logits come from its head
                bias += torch.as_tensor(delta, dtype=torch.float32)
            slowest_pass = max(slowest_pass, time.perf_counter() - round_start)
        levels = np.linspace(0.0, 1.0, _CALIBRATION_LEVELS)
        rows = self._calibration_rows(generator, size, rng)
        for model, values in self._raw_numeric_values(rows):
            model.calibration_generated, model.calibration_real = [], []
            if values.size < 100:
                continue
            model.calibration_generated = np.quantile(values, levels).tolist()
            model.calibration_real = targets.quantiles[model.name].tolist()

    @torch.no_grad()
    def _calibration_seconds(self, generator: Generator) -> float:
        """Seconds :meth:`_calibrate` will take with ``generator``, extrapolated from timing one chunk of its work."""
        transformer = self.transformer
        assert transformer is not None
        size = self.config.calibration_rows
        chunk = min(size, _CALIBRATION_CHUNK)
        softmax_spans = [span for span in transformer.layout if span.activation == "softmax"]
        generator.eval()  # as calibration runs it; eval mode also leaves the batch-norm statistics untouched
        try:
            with torch.random.fork_rng():  # the probe leaves training's random stream as it was
                probe_start = time.perf_counter()
                rows = self._calibration_rows(generator, chunk, torch.Generator().manual_seed(0))
                _slot_frequencies(rows, softmax_spans)
                for _, values in self._raw_numeric_values(rows):
                    np.quantile(values, np.linspace(0.0, 1.0, _CALIBRATION_LEVELS))
                seconds = time.perf_counter() - probe_start
        finally:
            generator.train()
        return seconds * math.ceil(size / chunk) * (_CALIBRATION_ROUNDS + 1)

    def _calibration_rows(self, generator: Generator, size: int, rng: torch.Generator) -> np.ndarray:
        """``size`` activated rows under conditions drawn at the data's frequencies, generated in chunks."""
        cond = sample_data_conditions(self.cond_spans, self.slot_frequencies, size, rng)
        noise = torch.randn(size, self.config.noise_dim)
        chunks = []
        for chunk_start in range(0, size, _CALIBRATION_CHUNK):
            part = slice(chunk_start, chunk_start + _CALIBRATION_CHUNK)
            rows, _ = self._activate(generator, generator(noise[part], cond.vector[part]), temperature=1.0)
            chunks.append(rows.numpy())
        return np.concatenate(chunks)

    def _raw_numeric_values(self, rows: np.ndarray) -> list[tuple[ColumnModel, np.ndarray]]:
        """Each numeric column's model and non-missing mixture values in generated ``rows`` (before calibration)."""
        transformer = self.transformer
        assert transformer is not None
        spans = {(span.column, span.kind): span for span in transformer.layout}
        values_of: list[tuple[ColumnModel, np.ndarray]] = []
        for model in transformer.models:
            if not model.is_numeric:
                continue
            scalar = rows[:, spans[(model.name, "scalar")].start].astype(np.float64)
            mode_span = spans[(model.name, "mode")]
            modes = rows[:, mode_span.start : mode_span.end].argmax(axis=1)
            values = transformer.decode_numeric(model, scalar, modes, finish=False).to_numpy()
            values_of.append((model, values[~np.isnan(values)]))
        return values_of

    def _cond_loss(self, raw: Tensor, cond: CondBatch) -> Tensor:
        """Cross-entropy between the generator's logits of the conditioned column and the requested slot."""
        if not self.cond_spans:
            return raw.new_zeros(())
        total = raw.new_zeros(())
        for position, span in enumerate(self.cond_spans):
            selected = cond.column == position
            if not bool(selected.any()):
                continue
            logits = raw[selected, span.data_start : span.data_start + span.width]
            total = total + F.cross_entropy(logits, cond.slot[selected], reduction="sum")
        return total / raw.shape[0]

    @contextmanager
    def _progress(self):
        """A rich progress display with one bar per phase, or ``None`` when not verbose."""
        if not self.verbose:
            yield None
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}"), TimeElapsedColumn()
        ) as progress:
            yield progress

    @staticmethod
    def _advance(progress: Any, task: Any) -> None:
        if progress is not None:
            progress.advance(task)

    # ------------------------------------------------------------------------------------------------
    # sampling

    def _require_fitted(self) -> tuple[TableTransformer, Generator, OutputActivation]:
        if self.transformer is None or self.generator is None or self.activation is None:
            raise PolemosError("the model is not fitted; call fit(data) or TabularGAN.load(path) first")
        return self.transformer, self.generator, self.activation

    def sample(
        self,
        n: int,
        conditions: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Generates ``n`` rows with the training table's columns, order and dtypes.

        Args:
            n: Number of rows, >= 1.
            conditions: Exact conditions every row satisfies: ``{"sex": "Female"}`` (a category or value),
                ``{"age": (30, 40)}`` (an inclusive range, either end may be ``None``). Categorical conditions
                steer the generator through its conditional vector; rows that miss the conditions are redrawn.
            seed: Seed of the draw; the same seed and model give the same rows. ``None`` draws fresh rows.

        Returns:
            A data frame of ``n`` rows.

        Raises:
            PolemosError: If ``n <= 0``, a condition names an unknown column or a value never observed, or no
                generated row satisfies the conditions together.
        """
        transformer, _, _ = self._require_fitted()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise PolemosError(f"the number of rows must be a positive integer, got {n!r}; ask for n >= 1")
        n = int(n)
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (MAX_SEED + 1))  # a fresh seed check_seed accepts
        check_seed(seed, "seed (--seed)")
        # the encoded rows (float32) and the decoded frame are held at once: refuse sizes this machine cannot hold
        check_memory(
            n * (transformer.width // 2 + 1 + len(transformer.columns)),
            f"{n:,} rows of {len(transformer.columns)} columns",
            "sample fewer rows (a smaller --n or n), in several draws with different seeds if you need more",
            copies=2.0,
        )
        parsed = [self._parse_condition(column, value) for column, value in (conditions or {}).items()]
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(seed)
            rng = torch.Generator().manual_seed(seed)
            encoded = self._draw(n, parsed, rng)
        frame = transformer.inverse_transform(encoded, seed=seed)
        for condition in parsed:
            if condition.model.kind in ("categorical", "boolean") and condition.value is not None:
                # rows generated in the "other" slot take exactly the requested rare category
                frame[condition.column] = transformer._cast(
                    pd.Series([condition.value] * n, dtype=object),
                    transformer.dtypes[condition.column],
                    condition.model,
                    condition.column,
                )
            if condition.model.kind == "combination":
                self._fix_combination_rows(frame, condition, seed)
        return frame

    def _fix_combination_rows(self, frame: pd.DataFrame, condition: _Condition, seed: int) -> None:
        """Rows drawn from a combination's "other" slot get a random observed tuple matching the condition."""
        model = condition.model
        position = model.members.index(condition.column)
        wanted = condition.value
        wrong = (frame[condition.column].astype(object) != wanted).to_numpy()
        if not wrong.any():
            return
        matching = [combo for combo in model.combinations if combo[position] == wanted]
        picks = np.random.default_rng(seed).integers(len(matching), size=int(wrong.sum()))
        transformer = self.transformer
        assert transformer is not None
        for member_position, member in enumerate(model.members):
            values = frame[member].astype(object).to_numpy()
            values[wrong] = [matching[i][member_position] for i in picks]
            frame[member] = transformer._cast(
                pd.Series(values, dtype=object), transformer.dtypes[member], model, member
            )

    def _generate(self, size: int, cond: CondBatch) -> np.ndarray:
        """Activated generator output for ``size`` rows (one-hot blocks sampled through Gumbel noise)."""
        _, generator, _ = self._require_fitted()
        noise = torch.randn(size, self.config.noise_dim)
        rows, _ = self._activate(generator, generator(noise, cond.vector), temperature=1.0)
        return rows.numpy()

    def _draw(self, n: int, conditions: list[_Condition], rng: torch.Generator) -> np.ndarray:
        """Generates encoded rows until ``n`` satisfy every condition."""
        steering = self._steering_condition(conditions)
        accepted: list[np.ndarray] = []
        have, drawn = 0, 0
        budget = max(2_000_000, 100 * n)  # rows drawn before concluding the conditions cannot be met
        size = min(max(n, 1_000), 50_000)
        while have < n and drawn < budget:
            if steering is None:
                cond = sample_data_conditions(self.cond_spans, self.slot_frequencies, size, rng)
            else:
                position, slot = steering
                column = torch.full((size,), position, dtype=torch.long)
                slots = torch.full((size,), slot, dtype=torch.long)
                cond = CondBatch(one_hot_conditions(self.cond_spans, column, slots), column, slots)
            rows = self._generate(size, cond)
            drawn += size
            keep = self._satisfies(rows, conditions)
            if keep.any():
                accepted.append(rows[keep])
                have += int(keep.sum())
            rate = max(have / drawn, 1e-4)
            size = int(min(max((n - have) / rate * 1.2, 1_000), 200_000))
        if have == 0 and conditions:
            described = ", ".join(f"{c.column}={self._describe(c)}" for c in conditions)
            raise PolemosError(
                f"no generated row satisfies {described} after {drawn} draws; these conditions are probably "
                "impossible together (never observed jointly); loosen them"
            )
        if have < n:
            raise PolemosError(
                f"only {have} of {n} generated rows satisfy the conditions after {drawn} draws; "
                "the conditions are very rare under the model: loosen them or ask for fewer rows"
            )
        return np.concatenate(accepted)[:n]

    def _steering_condition(self, conditions: list[_Condition]) -> tuple[int, int] | None:
        """The (cond column, slot) that steers the generator: the rarest single-slot categorical condition."""
        best: tuple[float, int, int] | None = None
        for condition in conditions:
            if len(condition.slots) != 1:
                continue
            for position, span in enumerate(self.cond_spans):
                if span.column == condition.model.name:
                    slot = condition.slots[0]
                    frequency = float(self.slot_frequencies[position, slot])
                    if best is None or frequency < best[0]:
                        best = (frequency, position, slot)
        return None if best is None else (best[1], best[2])

    def _satisfies(self, rows: np.ndarray, conditions: list[_Condition]) -> np.ndarray:
        """Mask of encoded rows that satisfy every condition (checked in the encoded space)."""
        transformer = self.transformer
        assert transformer is not None
        keep = np.ones(rows.shape[0], dtype=bool)
        spans = {(span.column, span.kind): span for span in transformer.layout}
        for condition in conditions:
            model = condition.model
            if model.is_numeric:
                scalar = rows[:, spans[(model.name, "scalar")].start].astype(np.float64)
                mode_span = spans[(model.name, "mode")]
                modes = rows[:, mode_span.start : mode_span.end].argmax(axis=1)
                values = transformer.decode_numeric(model, scalar, modes).to_numpy()
                inside = ~np.isnan(values)
                if condition.low is not None:
                    inside &= values >= condition.low
                if condition.high is not None:
                    inside &= values <= condition.high
                keep &= inside
            elif model.one_hot_width > 0:  # a constant column without missing values always holds
                span = spans[(model.name, "category")]
                slots = rows[:, span.start : span.end].argmax(axis=1)
                keep &= np.isin(slots, condition.slots)
        return keep

    @staticmethod
    def _describe(condition: _Condition) -> str:
        if condition.model.is_numeric:
            return f"[{condition.low}, {condition.high}]"
        return repr(condition.value)

    def _parse_condition(self, column: str, value: Any) -> _Condition:
        """Validates one user condition against what was observed during fit."""
        transformer, _, _ = self._require_fitted()
        if column not in transformer.columns:
            raise PolemosError(
                f"condition on unknown column {column!r}; valid columns: {', '.join(transformer.columns)}"
            )
        model = transformer.model_of_column(column)
        if model.is_numeric:
            return self._parse_numeric_condition(column, model, value)
        if isinstance(value, (tuple, list)):
            raise PolemosError(f"column {column!r} is categorical; condition it on one category, not {value!r}")
        if model.kind == "constant":
            if value != model.value:
                raise PolemosError(
                    f"column {column!r} only ever has the value {model.value!r}; {value!r} is impossible"
                )
            return _Condition(column, model, slots=[0], value=None)
        if model.kind == "combination":
            position = model.members.index(column)
            wanted = _coerce_category(value, [combo[position] for combo in model.combinations])
            matching = [i for i, combo in enumerate(model.combinations) if combo[position] == wanted]
            if not matching:
                raise PolemosError(f"value {value!r} of column {column!r} was never observed; choose an observed value")
            slots = sorted({_slot_of_category(model, index) for index in matching})
            return _Condition(column, model, slots=slots, value=wanted)
        wanted = _coerce_category(value, [*model.categories, *model.tail])
        if wanted in model.categories:
            return _Condition(column, model, slots=[model.categories.index(wanted)], value=None)
        if wanted in model.tail:
            return _Condition(column, model, slots=[len(model.categories)], value=wanted)
        examples = ", ".join(repr(c) for c in model.categories[:8])
        raise PolemosError(
            f"value {value!r} of column {column!r} was never observed; choose an observed category ({examples}, ...)"
        )

    @staticmethod
    def _parse_numeric_condition(column: str, model: ColumnModel, value: Any) -> _Condition:
        def to_float(bound: Any) -> float | None:
            if bound is None:
                return None
            if model.kind == "datetime":
                return float(
                    pd.Timestamp(bound).tz_localize(None).value
                    if pd.Timestamp(bound).tz is None
                    else pd.Timestamp(bound).tz_convert("UTC").tz_localize(None).value
                )
            try:
                return float(bound)
            except (TypeError, ValueError):
                raise PolemosError(
                    f"column {column!r} is numeric; condition it on a number or a (low, high) range, not {bound!r}"
                ) from None

        if isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise PolemosError(f"a range condition on {column!r} needs (low, high), got {value!r}")
            low, high = to_float(value[0]), to_float(value[1])
        else:
            low = high = to_float(value)
        if low is not None and high is not None and low > high:
            raise PolemosError(f"the range on {column!r} has low {low} > high {high}; swap them")
        assert model.lower is not None and model.upper is not None
        if (low is not None and low > model.upper) or (high is not None and high < model.lower):
            raise PolemosError(
                f"condition {value!r} on {column!r} lies outside the observed range "
                f"[{model.lower}, {model.upper}]; it is impossible"
            )
        step = model.round_to
        if (
            step is not None
            and low is not None
            and high is not None
            # a millionth of a step of slack: steps like 0.1 are inexact in floats (0.3 / 0.1 is 2.9999999999999996)
            and math.floor(high / step + 1e-6) < math.ceil(low / step - 1e-6)
        ):
            raise PolemosError(f"no value of {column!r} (multiples of {step:g}) lies in {value!r}; widen the range")
        if model.round_to is None and low is not None and low == high:
            # a single value of a continuous column: accept values within 0.5% of the column's spread
            tolerance = 0.005 * model.std
            low, high = low - tolerance, high + tolerance
        return _Condition(column, model, low=low, high=high)

    # ------------------------------------------------------------------------------------------------
    # persistence

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Saves the fitted model to the directory ``path`` (weights as safetensors, the rest as JSON).

        Nothing is pickled, so loading a model cannot run code; files are written to a temporary name first,
        so an interrupted save leaves no half-written model.
        """
        from safetensors.torch import save_file

        transformer, generator, _ = self._require_fitted()
        directory = Path(path)
        check_save_folder(directory, "tabular model")
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            "format_version": FORMAT_VERSION,
            "config": asdict(self.config),
            "bounds": {name: asdict(bounds) for name, bounds in self.bounds.items()},
            "fixed_combinations": self.fixed_combinations,
            "transformer": transformer.state(),
            "slot_frequencies": self.slot_frequencies.tolist(),
            "report": asdict(self.report) if self.report else None,
        }
        if self.data_source is not None:  # the file the CLI fitted on, shown by `polemos report`
            state["data_source"] = self.data_source
        weights = {name: tensor.detach().cpu().contiguous() for name, tensor in generator.state_dict().items()}
        save_file(weights, directory / f".{_WEIGHTS_FILE}.tmp")
        (directory / f".{_CONFIG_FILE}.tmp").write_text(json.dumps(state, indent=1))
        if self.real_summary is not None:
            (directory / f".{SUMMARY_FILE}.tmp").write_text(json.dumps(self.real_summary.state()))
        for name in (_WEIGHTS_FILE, _CONFIG_FILE, *((SUMMARY_FILE,) if self.real_summary is not None else ())):
            usual_permissions(directory / f".{name}.tmp")  # safetensors writes owner-only files
        (directory / f".{_WEIGHTS_FILE}.tmp").replace(directory / _WEIGHTS_FILE)
        (directory / f".{_CONFIG_FILE}.tmp").replace(directory / _CONFIG_FILE)
        if self.real_summary is not None:
            (directory / f".{SUMMARY_FILE}.tmp").replace(directory / SUMMARY_FILE)
        else:  # a stale summary of another model must not describe this one
            (directory / SUMMARY_FILE).unlink(missing_ok=True)
        return directory

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TabularGAN:
        """Loads a model saved by :meth:`save`, on CPU whatever device it was trained on."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        directory = Path(path)
        if saved_model_kind(directory) == "series model":
            raise PolemosError(
                f"{directory} holds a series model, not a TabularGAN; use `polemos series sample` (SeriesGAN.load) "
                "for it"
            )
        if not (directory / _CONFIG_FILE).is_file() or not (directory / _WEIGHTS_FILE).is_file():
            raise PolemosError(
                f"{directory} is not a saved TabularGAN (missing {_CONFIG_FILE} or {_WEIGHTS_FILE}); "
                "give the directory written by fit/save"
            )
        state = read_model_json(directory / _CONFIG_FILE)
        if not isinstance(state, dict) or "transformer" not in state:  # e.g. the model.json of an image run
            raise PolemosError(
                f"{directory} holds no TabularGAN ({_CONFIG_FILE} is not a tabular model's); "
                "give the --out directory of `polemos tabular fit`"
            )
        if state.get("format_version") != FORMAT_VERSION:
            raise PolemosError(f"{directory} has format {state.get('format_version')}; re-save it with this polemos")
        try:
            model = cls(
                constraints=state["bounds"],
                fixed_combinations=state["fixed_combinations"],
                verbose=False,
                **state["config"],
            )
            model.transformer = TableTransformer.from_state(state["transformer"])
            model.data_source = state.get("data_source")
            model.cond_spans = cond_spans(model.transformer.layout)
            model.slot_frequencies = (
                np.asarray(state["slot_frequencies"], dtype=np.float64).reshape(len(model.cond_spans), -1)
                if model.cond_spans
                else np.zeros((0, 1))
            )
            cond_dim = sum(span.width for span in model.cond_spans)
            generator = model._build_generator(cond_dim)
            generator.load_state_dict(load_file(directory / _WEIGHTS_FILE, device="cpu"))
        except (KeyError, TypeError, ValueError, RuntimeError, OSError, SafetensorError) as error:
            # a damaged or hand-edited model.json, or weights of another model
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise PolemosError(
                f"the TabularGAN in {directory} is damaged ({type(error).__name__}: {first_line}); "
                "restore the folder or fit the model again"
            ) from None
        model.generator = generator.eval()
        model.activation = OutputActivation(model.transformer.layout)
        model.report = FitReport(**state["report"]) if state.get("report") else None
        model.real_summary = _read_summary(directory / SUMMARY_FILE)
        return model


@dataclass(frozen=True)
class _TargetSplit:
    """Where the target's one-hot span sits in the encoded row, and the columns the classifier reads."""

    start: int
    end: int
    features: Tensor  # indices of every encoded column outside the target's span


def _target_split(layout: tuple[ColumnSpan, ...], target: str) -> _TargetSplit:
    """The target's category span and the feature columns; a one-line error when it cannot be a target."""
    spans = [span for span in layout if span.column == target]
    if not spans:  # fit checked that it exists: a constant column has no encoded span
        raise PolemosError(f"target column {target!r} has a single value; there is nothing to predict, unset target")
    if len(spans) != 1 or spans[0].kind != "category":
        raise PolemosError(
            f"target column {target!r} is numeric; the auxiliary classifier needs a categorical target: "
            "list it in --discrete (discrete_columns=[...]) or leave --target (target) unset"
        )
    span = spans[0]
    if span.width < 2:
        raise PolemosError(f"target column {target!r} has a single value; there is nothing to predict, unset target")
    width = layout[-1].end
    features = torch.tensor([index for index in range(width) if not span.start <= index < span.end])
    return _TargetSplit(span.start, span.end, features)


def _calibration_targets(transformer: TableTransformer, data: pd.DataFrame, encoded: np.ndarray) -> _CalibrationTargets:
    """The observed slot frequencies and numeric quantiles that :meth:`TabularGAN._calibrate` matches."""
    levels = np.linspace(0.0, 1.0, _CALIBRATION_LEVELS)
    quantiles = {
        model.name: transformer.numeric_quantiles(data, model, levels)
        for model in transformer.models
        if model.is_numeric
    }
    return _CalibrationTargets(transformer.one_hot_frequencies(encoded), quantiles)


def _slot_frequencies(rows: np.ndarray, spans: Sequence[ColumnSpan]) -> list[np.ndarray]:
    """The frequency of every slot of each one-hot span among generated ``rows`` (a row takes its largest slot)."""
    return [
        np.bincount(rows[:, span.start : span.end].argmax(axis=1), minlength=span.width) / len(rows) for span in spans
    ]


def _read_summary(path: Path) -> TableSummary | None:
    """The saved statistics of the training table; None for folders saved without them (older versions)."""
    if not path.is_file():
        return None
    try:
        return TableSummary.from_state(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError):  # damaged: the model itself still loads
        return None


def _coerce_category(value: Any, observed: Sequence[Any]) -> Any:
    """Matches ``value`` to an observed category, also across text/number spellings (CLI values are text)."""
    if value in observed:
        return value
    text = str(value)
    for category in observed:
        if str(category) == text or str(category).strip() == text.strip():
            return category
    return value


def _slot_of_category(model: ColumnModel, category: Any) -> int:
    """The one-hot slot of a category of ``model`` (the "other" slot for rare ones)."""
    if category in model.categories:
        return model.categories.index(category)
    return len(model.categories)
