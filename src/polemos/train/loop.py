"""The GAN training loop on Lightning Fabric.

Fabric owns devices, precision and process groups; this loop owns the game's bookkeeping: which phase runs,
backward, gradient clipping (after backward, before the optimizer step), EMA, statistics, sample grids and
checkpoints. The math of each phase lives in :mod:`polemos.game.objective`.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from lightning_fabric import Fabric
from torch import Tensor

from polemos.config import RunConfig
from polemos.errors import PolemosError
from polemos.files import atomic_write
from polemos.game.ema import EMA
from polemos.game.losses import get_loss
from polemos.game.objective import GameObjective, PhaseBatch
from polemos.game.penalties import get_penalty
from polemos.game.phases import Phase, PhaseKind, build_schedule, due
from polemos.game.schedules import lr_schedule_factor
from polemos.metrics.better import ranking_loss
from polemos.stats import StatsCollector, report
from polemos.train import checkpoint as ckpt
from polemos.train import is_main_process
from polemos.train.health import EventLog, HealthEvent, HealthMonitor, all_finite, mean_pairwise_distance
from polemos.train.progress import TrainingProgress
from polemos.train.sampler import InfiniteSampler
from polemos.train.sinks import open_sinks
from polemos.train.task import GanTask

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What a finished (or stopped) run reports.

    Attributes:
        run_dir: The run folder.
        step: Generator steps completed.
        seconds: Wall-clock seconds spent in the loop (excluding setup).
        samples_per_second: Real samples consumed by D per second, over all processes.
        stopped_by_time: True when ``train.max_time`` ended the run before ``train.steps``.
    """

    run_dir: Path
    step: int
    seconds: float
    samples_per_second: float
    stopped_by_time: bool


def _configure_threads(config: RunConfig, processes: int) -> None:
    """Sets torch's intra-op threads: as configured, or split between processes on one machine (DDP on CPU)."""
    if config.train.num_threads is not None:
        torch.set_num_threads(config.train.num_threads)
    elif processes > 1 and "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // processes))


def _runs_on_cpu(accelerator: str) -> bool:
    """Whether Fabric will pick the CPU for ``accelerator`` (``"auto"`` prefers CUDA, then MPS)."""
    if accelerator == "cpu":
        return True
    mps = getattr(torch.backends, "mps", None)
    return accelerator == "auto" and not torch.cuda.is_available() and not (mps is not None and mps.is_available())


def make_fabric(config: RunConfig) -> Fabric:
    """A Fabric for the hardware settings of ``config``."""
    train = config.train
    precision = train.precision
    if precision == "16-mixed" and _runs_on_cpu(train.accelerator):
        # Lightning would switch too, with a multi-line warning; one note says what runs
        if is_main_process():
            logger.warning("note: fp16 mixed precision is not available on CPU; using bf16-mixed")
        precision = "bf16-mixed"
    cores = os.cpu_count() or 1
    many = isinstance(train.devices, int) and train.devices > cores
    if many and _runs_on_cpu(train.accelerator) and is_main_process():
        # each process also runs its own threads: more processes than cores only wait for each other
        logger.warning(
            f"note: train.devices={train.devices} starts {train.devices} CPU processes on {cores} cores; they "
            f"share the cores and train slower than {cores} would (--devices {cores} or auto)"
        )
    lightning = logging.getLogger("lightning_fabric")
    level = lightning.level
    lightning.setLevel(max(level, logging.WARNING))  # drops "Using bfloat16 Automatic Mixed Precision (AMP)"
    try:
        return Fabric(
            accelerator=train.accelerator,
            devices=train.devices,
            num_nodes=train.num_nodes,
            strategy=train.strategy,
            precision=precision,
        )
    except (ValueError, RuntimeError, TypeError) as error:
        message = str(error).splitlines()[0]
        raise PolemosError(
            f"cannot set up the hardware requested ({message}); check train.accelerator/devices/precision"
        ) from None
    finally:
        lightning.setLevel(level)


def with_task_defaults(config: RunConfig, task: GanTask) -> RunConfig:
    """``config`` with the settings it leaves unset (None) taken from the task's modality defaults: the learning-rate
    schedule, and the spectral norm the modality chose (recorded in the task's metadata)."""
    game = config.game
    defaults = {"lr_schedule": task.lr_schedule, "lr_final": task.lr_final}
    unset = {name: value for name, value in defaults.items() if getattr(game, name) is None}
    updates: dict[str, Any] = {"game": game.model_copy(update=unset)} if unset else {}
    # the modality's choice of spectral norm (images: on), so config.json says what ran, not null
    spectral_norm = task.metadata.get("spectral_norm")
    if config.model.spectral_norm is None and isinstance(spectral_norm, bool):
        updates["model"] = config.model.model_copy(update={"spectral_norm": spectral_norm})
    return config.model_copy(update=updates) if updates else config


class Trainer:
    """Trains a :class:`GanTask` with the game described by a :class:`RunConfig`.

    Args:
        config: The resolved run configuration.
        task: The modality's networks and data.
        fabric: A launched Fabric (one is made and launched from the config when None).
    """

    def __init__(self, config: RunConfig, task: GanTask, fabric: Fabric | None = None) -> None:
        config = with_task_defaults(config, task)
        if config.train.precision == "16-mixed" and _runs_on_cpu(config.train.accelerator):
            # make_fabric runs bf16 there: config.json records what ran
            config = config.model_copy(update={"train": config.train.model_copy(update={"precision": "bf16-mixed"})})
        self.config = config
        self.task = task
        if fabric is None:
            fabric = make_fabric(config)
            fabric.launch()
        self.fabric = fabric
        _configure_threads(config, fabric.world_size)
        self.run_dir = Path(config.train.out)
        game = config.game
        self.schedule: tuple[Phase, ...] = build_schedule(game.n_critic, game.penalty, game.penalty_every)
        self.objective = GameObjective(
            get_loss(game.loss), get_penalty(game.penalty), game.penalty_weight, task.augment
        )
        optimizer_generator = torch.optim.Adam(
            task.generator.parameters(), lr=game.lr_generator, betas=(game.beta1, game.beta2)
        )
        optimizer_discriminator = torch.optim.Adam(
            task.discriminator.parameters(), lr=game.lr_discriminator, betas=(game.beta1, game.beta2)
        )
        self.ema = EMA(task.generator, game.ema_half_life, game.ema_rampup) if game.ema_half_life else None
        self.generator, self.optimizer_generator = fabric.setup(task.generator, optimizer_generator)
        self.discriminator, self.optimizer_discriminator = fabric.setup(task.discriminator, optimizer_discriminator)
        if self.ema is not None:
            self.ema.module.to(fabric.device)
        self.sampler = InfiniteSampler(
            len(task.data), config.train.batch_size, config.train.seed, fabric.global_rank, fabric.world_size
        )
        self.step = 0
        self.lr_scale = 1.0  # lowered by divergence rollbacks
        self._stop_reason = ""  # "time" or "early_stop" once a limit ends fit before train.steps
        self._start_time: float | None = None  # set by fit()
        self._seconds_before = 0.0  # training seconds of the sessions before a resume
        self._time_progress = 0.0  # share of train.max_time used, refreshed every log_every steps
        self.health = HealthMonitor(config.health, config.game)
        self.events = EventLog(self.run_dir / "events.jsonl")
        self._real_diversity: float | None = None
        self.best_value: float | None = None
        self.evals_since_best = 0
        self._measure_gradients = False
        # A fixed latent batch for sample grids, independent of the global RNG (keeps resume exact).
        grid_rng = torch.Generator().manual_seed(config.train.seed + 12345)
        self.grid_latent = task.sample_latent(config.train.num_samples, torch.device("cpu"), grid_rng)
        self.grid_condition = None
        if task.conditions is not None:
            picks = torch.randint(len(task.conditions), (config.train.num_samples,), generator=grid_rng)
            self.grid_condition = task.conditions[picks]

    # ----------------------------------------------------------------------------------------------- data
    def _next_batch(self) -> tuple[Tensor, Tensor | None]:
        indices = self.sampler.next_batch()
        device = self.fabric.device
        real = self.task.prepare(self.task.data[indices].to(device, non_blocking=True))
        condition = None if self.task.conditions is None else self.task.conditions[indices].to(device)
        return real, condition

    def _phase_batch(self) -> PhaseBatch:
        real, condition = self._next_batch()
        latent = self.task.sample_latent(real.shape[0], self.fabric.device)
        return PhaseBatch(real=real, condition=condition, latent=latent)

    # ----------------------------------------------------------------------------------------------- phases
    def _run_phase(self, phase: Phase) -> None:
        updates_generator = phase.kind is PhaseKind.GENERATOR
        module = self.generator if updates_generator else self.discriminator
        optimizer = self.optimizer_generator if updates_generator else self.optimizer_discriminator
        # The network not being updated is called unwrapped, so DDP syncs only the one that is.
        if updates_generator:
            generator, discriminator = self.generator, self.discriminator.module
        else:
            generator, discriminator = self.generator.module, self.discriminator
        self.task.discriminator.requires_grad_(not updates_generator)
        self.task.generator.requires_grad_(updates_generator)
        batch = self._phase_batch()
        optimizer.zero_grad(set_to_none=True)
        with self.fabric.autocast():
            loss = self.objective.phase_loss(phase, generator, discriminator, batch)
        self.fabric.backward(loss)
        max_norm = self.config.game.clip_grad_norm
        name = f"Grad/{'G' if updates_generator else 'D'}/norm"
        if max_norm is not None:  # after backward, before the step: clips this update's gradients
            norm = self.fabric.clip_gradients(module, optimizer, max_norm=max_norm, error_if_nonfinite=False)
            report(name, norm)
        elif self._measure_gradients:  # only on steps that are logged: the norm costs a pass over all grads
            gradients = [p.grad.detach().norm() for p in module.parameters() if p.grad is not None]
            if gradients:
                report(name, torch.stack(gradients).norm())
        optimizer.step()

    def train_step(self) -> None:
        """Runs one training step: every phase due at the current step, then the EMA update (as :meth:`fit` does)."""
        self._measure_gradients = (self.step + 1) % self.config.train.log_every == 0
        if self.config.game.lr_schedule != "constant":
            self._apply_lr_scale()
        for phase in self.schedule:
            if due(phase, self.step):
                for _ in range(phase.repeats):
                    self._run_phase(phase)
        self.step += 1
        if self.ema is not None:
            batch = self.config.train.batch_size * self.fabric.world_size
            self.ema.update(self.task.generator, batch, self.step * batch)

    # ----------------------------------------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """The full training state (tensors and plain values only)."""
        rng = ckpt.capture_rng_state()
        torch_states = rng["torch"]
        if self.fabric.world_size > 1:  # every process's RNG, so each resumes its own stream
            torch_states = self._gather(rng["torch"])
        rng["torch_per_rank"] = torch_states
        # every process's data position: with a dataset that does not split evenly, the ranks' shares differ in
        # length and their cursors drift apart after the first pass
        position = self.sampler.state_dict()
        positions = torch.tensor([[position["epoch"], position["cursor"]]], dtype=torch.int64)
        if self.fabric.world_size > 1:
            positions = self._gather(positions[0]).reshape(-1, 2)
        augment_state = getattr(self.task.augment, "state_dict", lambda: {})()
        return {
            "step": self.step,
            "generator": self.task.generator.state_dict(),
            "discriminator": self.task.discriminator.state_dict(),
            "generator_ema": None if self.ema is None else self.ema.state_dict(),
            "optimizer_generator": self.optimizer_generator.state_dict(),
            "optimizer_discriminator": self.optimizer_discriminator.state_dict(),
            "augment": augment_state,
            "sampler": position,
            "sampler_per_rank": positions,
            "rng": rng,
            "world_size": self.fabric.world_size,
            "lr_scale": self.lr_scale,
            # alarms already raised (not raised again after a resume) and rollbacks used (max_rollbacks holds per run)
            "health": {"active": sorted(self.health.active), "rollbacks": self.health.rollbacks},
            "best_value": self.best_value,
            "seconds_trained": self._seconds_trained(),
            "config": self.config.to_json(),
        }

    def _gather(self, tensor: torch.Tensor) -> torch.Tensor:
        """Every process's ``tensor``, stacked along a new first dimension, on the CPU."""
        with warnings.catch_warnings():
            # Fabric's all_gather calls a torch function deprecated in torch 2.13: a two-line warning per process
            # that a user cannot act on
            warnings.filterwarnings("ignore", message=r"torch\.distributed\.nn\.functional\.all_gather is deprecated")
            return self.fabric.all_gather(tensor.to(self.fabric.device)).cpu()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restores a state written by :meth:`state_dict`.

        Raises:
            PolemosError: When the state was written by another number of processes (the batch, the data shards
                and the random streams would not continue as they were).
        """
        saved_world_size = int(state.get("world_size", 1))
        if saved_world_size != self.fabric.world_size:
            raise PolemosError(
                f"this run trained on {saved_world_size} process(es) and would resume on {self.fabric.world_size}; "
                f"exact resume needs the same: pass --devices {saved_world_size} (train.devices x train.num_nodes)"
            )
        try:
            self.task.generator.load_state_dict(state["generator"])
            self.task.discriminator.load_state_dict(state["discriminator"])
        except RuntimeError as error:  # "size mismatch for ...": the networks were built for other data
            mismatches = [line.strip().rstrip(".") for line in str(error).splitlines() if "size mismatch" in line]
            detail = f" ({mismatches[0]})" if mismatches else ""
            raise PolemosError(
                f"the checkpoint's networks do not fit the ones built for this data{detail}; did the images at "
                "data.source change size or channels since the run started? resume on the same data, or start a new run"
            ) from None
        if self.ema is not None and state.get("generator_ema") is not None:
            self.ema.load_state_dict(state["generator_ema"])
        self.optimizer_generator.load_state_dict(state["optimizer_generator"])
        self.optimizer_discriminator.load_state_dict(state["optimizer_discriminator"])
        if hasattr(self.task.augment, "load_state_dict"):
            self.task.augment.load_state_dict(state.get("augment", {}))
        positions = state.get("sampler_per_rank")
        if positions is not None and len(positions) == self.fabric.world_size:
            epoch, cursor = (int(value) for value in positions[self.fabric.global_rank])
            self.sampler.load_state_dict({"epoch": epoch, "cursor": cursor})
        else:  # checkpoints written before the positions of all ranks were kept
            self.sampler.load_state_dict(state["sampler"])
        self.step = int(state["step"])
        self.lr_scale = float(state.get("lr_scale", 1.0))
        health = state.get("health", {})
        self.health.active = set(health.get("active", ()))
        # a rollback counts itself before it restores the last good state, which holds the earlier count
        self.health.rollbacks = max(self.health.rollbacks, int(health.get("rollbacks", 0)))
        self.best_value = state.get("best_value")
        self._apply_lr_scale()
        rng = dict(state["rng"])
        per_rank = rng.get("torch_per_rank")
        if per_rank is not None and per_rank.ndim == 2:
            rng["torch"] = per_rank[self.fabric.global_rank].clone()
        ckpt.restore_rng_state(rng)

    def save(self) -> None:
        """Writes ``checkpoints/last.pt`` and the portable generator export (rank 0 only).

        A state with non-finite weights is never written, so ``last.pt`` always holds a good state.
        """
        if self.config.health.enabled and not all_finite([self.task.generator, self.task.discriminator]):
            return
        state = self.state_dict()
        if self.fabric.global_rank == 0:
            ckpt.save_checkpoint(self.run_dir / "checkpoints" / ckpt.LAST, state)
            weights = state["generator_ema"] if state["generator_ema"] is not None else state["generator"]
            ckpt.export_generator(self.run_dir, weights, self._model_metadata())
        self.fabric.barrier()

    def _model_metadata(self) -> dict[str, Any]:
        return {
            "format": "polemos-generator-1",
            "latent_dim": self.task.latent_dim,
            "step": self.step,
            "ema": self.ema is not None,
            "config": self.config.to_dict(),
            **self.task.metadata,
            # why the run ended before train.steps ("time" or "early_stop"), for the report; absent while it runs
            **({"stopped_by": self._stop_reason} if self._stop_reason else {}),
        }

    def resume(self) -> None:
        """Loads ``checkpoints/last.pt`` of the run folder; its training time carries on in ``Time/seconds``."""
        state = ckpt.load_checkpoint(self.run_dir / "checkpoints" / ckpt.LAST)
        self.load_state_dict(state)
        if self.fabric.global_rank == 0:  # half-written files of a session that was killed (SIGKILL, power)
            for folder in (self.run_dir, self.run_dir / "checkpoints", self.run_dir / "samples"):
                for stale in folder.glob(".*.tmp"):
                    stale.unlink(missing_ok=True)
        # not in load_state_dict: a rollback within this session must not count the time before it twice
        self._seconds_before = float(state.get("seconds_trained", 0.0))

    def _seconds_trained(self) -> float:
        """Seconds of training of the whole run: earlier sessions' (from the checkpoint) plus this one's."""
        session = 0.0 if self._start_time is None else time.perf_counter() - self._start_time
        return self._seconds_before + session

    # ----------------------------------------------------------------------------------------------- output
    @torch.no_grad()
    def save_samples(self) -> Path:
        """Writes a grid from the fixed latent batch with the EMA generator (or G) to ``samples/``."""
        network = self.ema.module if self.ema is not None else self.task.generator
        was_training = network.training
        network.eval()
        device = self.fabric.device
        condition = None if self.grid_condition is None else self.grid_condition.to(device)
        samples = network(self.grid_latent.to(device), condition).float().cpu()
        network.train(was_training)
        path = self.run_dir / "samples" / f"step_{self.step:07d}.png"
        self.task.save_samples(samples, path)
        return path

    def fit(self, resume: bool = False) -> TrainResult:
        """Trains until ``train.steps`` generator steps (or ``train.max_time`` seconds, or early stopping).

        Args:
            resume: Continue from the run folder's last checkpoint.

        Raises:
            PolemosError: When training diverged more often than ``health.max_rollbacks`` allows; the last
                good checkpoint is kept.
        """
        train = self.config.train
        fabric = self.fabric
        if resume:
            self.resume()
            if self.step >= train.steps:  # nothing to train: the run folder is left as it is
                return TrainResult(self.run_dir, self.step, 0.0, 0.0, stopped_by_time=False)
        is_main = fabric.global_rank == 0
        if is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            atomic_write(self.run_dir / "config.json", lambda path: path.write_text(self.config.to_json()))
        if not resume:
            self.save()  # the first "last good" state, for rollbacks
        resume_step = self.step if resume else None
        sinks = open_sinks(self.run_dir, train.loggers, self.config.to_dict(), resume_step) if is_main else []
        collector = StatsCollector(
            (lambda tensor: fabric.all_reduce(tensor, reduce_op="mean")) if fabric.world_size > 1 else None
        )
        start_step = self.step
        self._start_time = time.perf_counter()
        self._time_progress = 0.0  # train.max_time counts from the start of this fit, as for stopping
        self._interval = (self._start_time, self.step)
        self._stop_reason = ""
        progress = TrainingProgress(total=train.steps, start=self.step, enabled=train.progress and is_main)
        try:
            with collector, progress:
                while self.step < train.steps and not self._stop_reason:
                    self.train_step()
                    self._after_step(collector, sinks, progress)
        finally:
            for sink in sinks:
                sink.close()
        seconds = time.perf_counter() - self._start_time
        return TrainResult(
            run_dir=self.run_dir,
            step=self.step,
            seconds=seconds,
            samples_per_second=(self.step - start_step) * self._samples_per_step() / max(seconds, 1e-9),
            stopped_by_time=self._stop_reason == "time",
        )

    def _samples_per_step(self) -> int:
        return self.config.train.batch_size * self.fabric.world_size * self.config.game.n_critic

    def _after_step(self, collector: StatsCollector, sinks: list[Any], progress: TrainingProgress) -> None:
        """Logging, health, evaluation, samples and checkpoints due after a step."""
        train, is_main = self.config.train, self.fabric.global_rank == 0
        last = self.step >= train.steps
        alarm = None
        if self.step % train.log_every == 0 or last:
            now = time.perf_counter()
            row = collector.collect()
            started, started_step = self._interval
            row["Speed/samples_per_second"] = (
                (self.step - started_step) * self._samples_per_step() / max(now - started, 1e-9)
            )
            row["Time/seconds"] = self._seconds_before + now - self._start_time  # the run's, across resumes
            self._interval = (now, self.step)
            if self.config.health.enabled:
                row["Health/diversity"] = self._diversity()
                events = self.health.check_row(
                    self.step,
                    row,
                    all_finite([self.task.generator, self.task.discriminator]),
                    warmed_up=self.step >= self.config.health.warmup * train.steps,
                )
                if is_main:
                    self.events.write(events)
                alarm = ", ".join(event.kind for event in events if event.kind != "recovered") or None
                if any(event.kind == "nan" for event in events):
                    self._roll_back(sinks)
                    return
            for sink in sinks:
                sink.write(self.step, row)
            progress.update(self.step, row, alarm)
        else:
            progress.update(self.step, None)
        if train.max_time is not None and self.step % train.log_every == 0 and not last:
            elapsed = float(self.fabric.broadcast(time.perf_counter() - self._start_time, src=0))  # rank 0's clock
            self._time_progress = elapsed / train.max_time  # the lr schedule reads it: the same on every rank
            if elapsed > train.max_time:
                self._stop_reason, last = "time", True
        evaluation = self.config.eval
        if evaluation.every is not None and self.task.evaluate is not None and self.step % evaluation.every == 0:
            self._evaluate(sinks)
            last = last or bool(self._stop_reason)
        if is_main and (self.step % train.sample_every == 0 or last):
            self.save_samples()
        if self.step % train.checkpoint_every == 0 or last:
            self.save()

    @torch.no_grad()
    def _diversity(self, count: int = 16) -> float:
        """Mean pairwise distance of ``count`` samples from the fixed latent batch, relative to real data's.

        16 samples keep the check cheap (one small G forward per logged step) and still show a collapse.
        """
        if self._real_diversity is None:
            picks = torch.randperm(len(self.task.data), generator=torch.Generator().manual_seed(0))[:count]
            real = self.task.prepare(self.task.data[picks].to(self.fabric.device))
            self._real_diversity = max(mean_pairwise_distance(real), 1e-12)
        network = self.task.generator
        was_training = network.training
        network.eval()
        condition = None if self.grid_condition is None else self.grid_condition[:count].to(self.fabric.device)
        samples = network(self.grid_latent[:count].to(self.fabric.device), condition)
        network.train(was_training)
        return mean_pairwise_distance(samples) / self._real_diversity

    def _roll_back(self, sinks: list[Any]) -> None:
        """Restores the last good checkpoint with lower learning rates, or stops when out of retries."""
        health = self.config.health
        bad_step = self.step
        if self.health.rollbacks >= health.max_rollbacks:
            message = (
                f"training diverged (NaN/Inf) at step {bad_step} after {self.health.rollbacks} rollbacks; "
                f"the last good state is kept in {self.run_dir / 'checkpoints' / ckpt.LAST}; "
                "lower game.lr_generator/lr_discriminator, add game.penalty=r1, or set game.clip_grad_norm"
            )
            if self.fabric.global_rank == 0:
                self.events.write([HealthEvent(bad_step, "diverged", message)])
            raise PolemosError(message)
        self.health.rollbacks += 1
        scale = self.lr_scale
        self.resume()
        self.lr_scale = scale * health.rollback_lr_factor
        self._apply_lr_scale()
        if self.fabric.global_rank == 0:
            self.events.write(
                [
                    HealthEvent(
                        bad_step,
                        "rollback",
                        f"rolled back from step {bad_step} to step {self.step}; learning rates x{self.lr_scale:g}",
                    )
                ]
            )
        self._interval = (time.perf_counter(), self.step)

    def _progress(self) -> float:
        """Share of the training budget used: steps of ``train.steps``, or time of ``train.max_time`` if later."""
        return max(self.step / self.config.train.steps, self._time_progress)

    def _apply_lr_scale(self) -> None:
        """Sets both learning rates to base x rollback scale x schedule factor at the current step."""
        game = self.config.game
        factor = self.lr_scale * lr_schedule_factor(game.lr_schedule, self._progress(), game.lr_final)
        for optimizer, base in (
            (self.optimizer_generator, game.lr_generator),
            (self.optimizer_discriminator, game.lr_discriminator),
        ):
            for group in optimizer.param_groups:
                group["lr"] = base * factor

    def _evaluate(self, sinks: list[Any]) -> None:
        """Runs the task's evaluation, logs it with its protocol, keeps the best checkpoint, early-stops."""
        network = self.ema.module if self.ema is not None else self.task.generator
        records = self.task.evaluate(network, self.step)
        evaluation = self.config.eval
        values: dict[str, float] = {}
        for record in records:
            for sink in sinks:
                sink.write(self.step, {"kind": "eval", **record})
            values.setdefault(str(record.get("metric")), float(record["value"]))
        ranked = ranking_loss(evaluation.metric, values)
        if ranked is None:
            return
        value, ranked_name = ranked
        if self.best_value is None or value < self.best_value:
            self.best_value, self.evals_since_best = value, 0
            if evaluation.keep_best:
                state = self.state_dict()
                if self.fabric.global_rank == 0:
                    ckpt.save_checkpoint(self.run_dir / "checkpoints" / "best.pt", {**state, "best_value": value})
        else:
            self.evals_since_best += 1
            patience = evaluation.early_stop_patience
            if patience is not None and self.evals_since_best >= patience:
                self._stop_reason = "early_stop"
                if self.fabric.global_rank == 0:
                    self.events.write(
                        [
                            HealthEvent(
                                self.step,
                                "early_stop",
                                f"{evaluation.metric} did not improve for {patience} evaluations "
                                f"(best {ranked_name} {self.best_value:.5g})",
                            )
                        ]
                    )
