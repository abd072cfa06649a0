"""The Fabric training loop: phases, clipping order, EMA, outputs and exact resume (on a tiny 2D task)."""

from __future__ import annotations

import json
import logging

import pytest
import torch
from lightning_fabric import Fabric

from polemos.config import resolve_config
from polemos.points import build_points_task, sample_mixture
from polemos.train.checkpoint import load_checkpoint
from polemos.train.loop import Trainer, make_fabric


def make_config(out, *overrides: str, steps: int = 6):
    return resolve_config(
        flags={"train.out": str(out), "train.steps": steps, "train.batch_size": 16},
        overrides=[
            "game.augment=",
            "train.accelerator=cpu",
            "train.devices=1",
            "train.progress=false",
            "train.log_every=2",
            "train.sample_every=3",
            "train.checkpoint_every=3",
            "train.loggers=[jsonl, csv]",
            *overrides,
        ],
    )


def make_trainer(config, seed: int = 0) -> Trainer:
    torch.manual_seed(seed)
    task = build_points_task(sample_mixture("ring-8", 256, seed=0), latent_dim=2, width=16, depth=2)
    fabric = Fabric(accelerator="cpu", devices=1)
    return Trainer(config, task, fabric=fabric)


def flat_state(state) -> dict[str, torch.Tensor]:
    """All tensors of a (nested) state, by dotted path."""
    out: dict[str, torch.Tensor] = {}

    def walk(prefix, value):
        if isinstance(value, torch.Tensor):
            out[prefix] = value
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}", item)

    walk("", state)
    return out


def test_run_folder_contents(tmp_path) -> None:
    result = make_trainer(make_config(tmp_path / "run")).fit()
    run = tmp_path / "run"
    assert result.step == 6
    for name in ("config.json", "metrics.jsonl", "metrics.csv", "generator.safetensors", "model.json"):
        assert (run / name).is_file(), name
    assert (run / "checkpoints" / "last.pt").is_file()
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step_0000003.png", "step_0000006.png"]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [2, 4, 6]
    assert {"Loss/D/adversarial", "Loss/G/adversarial", "Logits/D/real", "Speed/samples_per_second"} <= set(rows[0])
    assert json.loads((run / "config.json").read_text())["train"]["steps"] == 6


def test_steps_count_generator_updates_and_n_critic_d_updates(tmp_path) -> None:
    trainer = make_trainer(make_config(tmp_path / "run", "game.n_critic=3", "game.ema_half_life=null", steps=4))
    trainer.fit()
    g_state = trainer.optimizer_generator.state_dict()["state"]
    d_state = trainer.optimizer_discriminator.state_dict()["state"]
    assert int(next(iter(g_state.values()))["step"]) == 4
    assert int(next(iter(d_state.values()))["step"]) == 12


def test_lazy_penalty_runs_every_k_steps(tmp_path) -> None:
    config = make_config(tmp_path / "run", "game.penalty=r1", "game.penalty_every=4", "game.penalty_weight=1", steps=8)
    trainer = make_trainer(config)
    trainer.fit()
    d_state = trainer.optimizer_discriminator.state_dict()["state"]
    assert int(next(iter(d_state.values()))["step"]) == 8 + 2  # 8 D main + regularizer at steps 0 and 4
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert sum("Loss/D/r1" in row for row in rows) == 2  # only the intervals containing steps 0 and 4


def test_gradient_clipping_happens_after_backward_and_before_the_step(tmp_path) -> None:
    # With a tiny max norm, Adam's update shrinks to ~lr * max_norm / eps; had clipping come before backward
    # (nothing to clip) or after the step (already applied), the first update would have size ~lr.
    lr = 1e-2
    changes = {}
    for clip in (None, 1e-12):
        overrides = [f"game.lr_discriminator={lr}", f"game.lr_generator={lr}", "game.ema_half_life=null"]
        if clip is not None:
            overrides.append(f"game.clip_grad_norm={clip}")
        trainer = make_trainer(make_config(tmp_path / f"run{clip}", *overrides, steps=1))
        before = [p.detach().clone() for p in trainer.task.discriminator.parameters()]
        trainer.fit()
        changes[clip] = max(
            (p - b).abs().max().item() for p, b in zip(trainer.task.discriminator.parameters(), before, strict=True)
        )
    assert changes[None] > 0.5 * lr
    assert changes[1e-12] < 1e-3 * lr
    rows = [json.loads(line) for line in (tmp_path / "run1e-12" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["Grad/D/norm"] > 1e-6  # the norm before clipping is reported


def test_resume_is_bit_exact(tmp_path) -> None:
    # constant rate: a schedule over train.steps changes when a resume extends the steps (4 -> 8)
    extra = ("game.penalty=r1", "game.penalty_every=2", "game.n_critic=2", "game.lr_schedule=constant")
    straight = make_trainer(make_config(tmp_path / "straight", *extra, steps=8))
    straight.fit()

    first = make_trainer(make_config(tmp_path / "split", *extra, steps=4))
    first.fit()
    torch.manual_seed(999)  # a different process state must not matter
    second = make_trainer(make_config(tmp_path / "split", *extra, steps=8), seed=123)
    second.fit(resume=True)

    expected = flat_state(load_checkpoint(tmp_path / "straight" / "checkpoints" / "last.pt"))
    actual = flat_state(load_checkpoint(tmp_path / "split" / "checkpoints" / "last.pt"))
    assert expected.keys() == actual.keys()
    mismatched = [key for key in expected if not torch.equal(expected[key], actual[key])]
    assert not mismatched, mismatched[:5]
    assert load_checkpoint(tmp_path / "split" / "checkpoints" / "last.pt")["step"] == 8


def test_max_time_stops_early_and_checkpoints(tmp_path) -> None:
    result = make_trainer(make_config(tmp_path / "run", "train.max_time=0.01", steps=10_000)).fit()
    assert result.stopped_by_time
    assert result.step < 10_000
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["step"] == result.step


def test_resume_at_or_past_the_last_step_trains_nothing(tmp_path) -> None:
    make_trainer(make_config(tmp_path / "run", steps=4)).fit()
    before = (tmp_path / "run" / "checkpoints" / "last.pt").read_bytes()
    result = make_trainer(make_config(tmp_path / "run", steps=2)).fit(resume=True)
    assert result.step == 4 and result.seconds == 0.0
    assert (tmp_path / "run" / "checkpoints" / "last.pt").read_bytes() == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="fp16 mixed precision is available on a GPU")
def test_fp16_on_cpu_becomes_bf16_with_one_note(tmp_path, caplog) -> None:
    config = make_config(tmp_path / "run", "train.precision=16-mixed", "train.accelerator=auto", steps=1)
    with caplog.at_level(logging.INFO):
        fabric = make_fabric(config)
    assert type(fabric._precision).__name__ == "MixedPrecision" and fabric._precision.precision == "bf16-mixed"
    assert [record.getMessage() for record in caplog.records] == [
        "note: fp16 mixed precision is not available on CPU; using bf16-mixed"
    ]
    make_trainer(config).fit()
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["precision"] == "bf16-mixed"


def test_only_the_first_process_speaks(monkeypatch) -> None:
    from polemos.train import is_main_process

    for name in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert is_main_process()
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert not is_main_process()
    monkeypatch.setenv("RANK", "0")  # the global rank, where set, decides
    assert is_main_process()


def test_more_cpu_processes_than_cores_get_one_note(tmp_path, caplog, monkeypatch) -> None:
    monkeypatch.setattr("polemos.train.loop.os.cpu_count", lambda: 2)
    config = make_config(tmp_path / "run", "train.devices=3", "train.accelerator=cpu", steps=1)
    with caplog.at_level(logging.INFO):
        make_fabric(config)  # builds the Fabric; nothing is launched
    assert [record.getMessage() for record in caplog.records] == [
        "note: train.devices=3 starts 3 CPU processes on 2 cores; they share the cores and train slower than 2 "
        "would (--devices 2 or auto)"
    ]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        make_fabric(make_config(tmp_path / "run", "train.devices=2", "train.accelerator=cpu", steps=1))
    assert caplog.records == []


@pytest.mark.parametrize("precision", ["bf16-mixed"])
def test_mixed_precision_on_cpu(tmp_path, precision) -> None:
    config = make_config(tmp_path / "run", f"train.precision={precision}", steps=2)
    torch.manual_seed(0)
    task = build_points_task(sample_mixture("ring-8", 64, seed=0), latent_dim=2, width=16, depth=2)
    trainer = Trainer(config, task, fabric=Fabric(accelerator="cpu", devices=1, precision=precision))
    assert trainer.fit().step == 2
    assert all(torch.isfinite(p).all() for p in task.generator.parameters())


def test_evaluation_hook_keeps_best_and_stops_early(tmp_path) -> None:
    values = iter([3.0, 1.0, 2.0, 2.5, 0.5])  # improves at the 2nd evaluation, then not twice in a row

    def fake_evaluate(generator, step):
        return [{"metric": "kid", "value": next(values), "extractor_id": "test", "n_generated": 1}]

    config = make_config(tmp_path / "run", "eval.every=2", "eval.early_stop_patience=2", steps=20)
    trainer = make_trainer(config)
    trainer.task.evaluate = fake_evaluate
    result = trainer.fit()
    assert result.step == 8  # evaluations at 2, 4, 6, 8: best at 4, no improvement at 6 and 8 -> stop
    assert trainer.best_value == 1.0
    best = load_checkpoint(tmp_path / "run" / "checkpoints" / "best.pt")
    assert best["step"] == 4 and best["best_value"] == 1.0
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    assert events[-1]["kind"] == "early_stop"
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [row["value"] for row in rows if row.get("kind") == "eval"] == [3.0, 1.0, 2.0, 2.5]


def test_cosine_schedule_sets_optimizer_rates(tmp_path) -> None:
    config = make_config(
        tmp_path / "run", "game.lr_schedule=cosine", "game.lr_final=0.25", "game.lr_discriminator=2e-3", steps=4
    )
    trainer = make_trainer(config)
    trainer.fit()
    # The last step (index 3 of 4) ran at 0.25 + 0.75 * (1 + cos(3 pi / 4)) / 2 of the base rates.
    factor = 0.25 + 0.75 * 0.5 * (1 + torch.cos(torch.tensor(3 * torch.pi / 4)).item())
    assert trainer.optimizer_generator.param_groups[0]["lr"] == pytest.approx(config.game.lr_generator * factor)
    assert trainer.optimizer_discriminator.param_groups[0]["lr"] == pytest.approx(2e-3 * factor)


def test_cosine_schedule_follows_the_time_budget(tmp_path, monkeypatch) -> None:
    config = make_config(
        tmp_path / "run",
        "game.lr_schedule=cosine",
        "game.lr_final=0",
        "train.max_time=100",
        "train.log_every=2",
        steps=1000,
    )
    trainer = make_trainer(config)
    clock = iter(float(second) for second in range(0, 100_000, 20))  # every clock read advances 20 s
    monkeypatch.setattr("polemos.train.loop.time.perf_counter", lambda: next(clock))
    result = trainer.fit()
    assert result.stopped_by_time and result.step < 100  # stopped by the (fake) clock, far from 1,000 steps
    assert trainer._progress() > 1.0  # the time budget, not the steps, drives the schedule:
    # by steps alone (< 10 % done) the factor would still be > 0.97; by time it was near lr_final = 0 at the end
    assert trainer.optimizer_generator.param_groups[0]["lr"] < 0.2 * config.game.lr_generator


def test_unset_schedule_comes_from_the_modality_and_is_recorded(tmp_path) -> None:
    from polemos.config import RunConfig
    from polemos.points import POINTS_LR_SCHEDULE

    config = make_config(tmp_path / "run", steps=4)
    assert config.game.lr_schedule is None and config.game.lr_final is None  # unset: the modality decides
    trainer = make_trainer(config)
    assert (trainer.config.game.lr_schedule, trainer.config.game.lr_final) == POINTS_LR_SCHEDULE == ("cosine", 0.1)
    trainer.fit()
    saved = RunConfig.model_validate(json.loads((tmp_path / "run" / "config.json").read_text()))
    assert (saved.game.lr_schedule, saved.game.lr_final) == ("cosine", 0.1)  # the run folder shows what ran
    assert config.model.spectral_norm is None and saved.model.spectral_norm is False  # the points' choice, not null
    factor = 0.1 + 0.9 * 0.5 * (1 + torch.cos(torch.tensor(3 * torch.pi / 4)).item())  # last of 4 steps
    assert trainer.optimizer_generator.param_groups[0]["lr"] == pytest.approx(config.game.lr_generator * factor)
    # an explicit setting wins over the modality's
    explicit = make_trainer(make_config(tmp_path / "other", "game.lr_schedule=constant", steps=4))
    assert explicit.config.game.lr_schedule == "constant" and explicit.config.game.lr_final == 0.1
    explicit.fit()
    assert explicit.optimizer_generator.param_groups[0]["lr"] == pytest.approx(config.game.lr_generator)


@pytest.mark.parametrize("preset", ["dcgan-classic", "minimax-2014", "wgan-gp"])
def test_paper_presets_keep_a_constant_rate_on_every_modality(preset) -> None:
    assert resolve_config(preset=preset).game.lr_schedule == "constant"


def test_training_time_carries_on_across_a_resume(tmp_path, monkeypatch) -> None:
    # a clock that advances one second per reading: the two sessions' times are known exactly
    ticks = iter(range(1_000_000))
    monkeypatch.setattr("polemos.train.loop.time.perf_counter", lambda: float(next(ticks)))
    make_trainer(make_config(tmp_path / "run", "train.checkpoint_every=2", steps=6)).fit()
    make_trainer(make_config(tmp_path / "run", "train.checkpoint_every=2", steps=10)).fit(resume=True)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    times = [row["Time/seconds"] for row in rows if "Time/seconds" in row]
    assert [row["step"] for row in rows if "Time/seconds" in row] == [2, 4, 6, 8, 10]
    # the resumed session starts from the first one's total: the curve never goes back (it restarted at 0)
    assert times == sorted(times) and times[3] > times[2]
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    assert state["seconds_trained"] >= times[-1]


def test_resume_drops_the_rows_a_stopped_session_logged_after_its_checkpoint(tmp_path) -> None:
    run = tmp_path / "run"
    make_trainer(make_config(run, steps=6)).fit()  # rows at 2, 4, 6; last.pt at 6
    # as if the session had gone on to step 8 and been killed before its next checkpoint
    with (run / "metrics.jsonl").open("a") as file:
        file.write(json.dumps({"step": 8, "Loss/D/adversarial": 9.9}) + "\n" + '{"step": 10, "Loss/D/adv')
    with (run / "metrics.csv").open("a") as file:
        file.write("8" + "," * (len((run / "metrics.csv").read_text().splitlines()[0].split(",")) - 1) + "\n")
    (run / "events.jsonl").write_text(json.dumps({"step": 8, "kind": "collapse", "message": "x"}) + "\n")
    make_trainer(make_config(run, steps=10)).fit(resume=True)
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6, 8, 10]
    assert 9.9 not in [json.loads(line).get("Loss/D/adversarial") for line in (run / "metrics.jsonl").open()]
    csv_steps = [line.split(",")[0] for line in (run / "metrics.csv").read_text().splitlines()[1:]]
    assert csv_steps == ["2", "4", "6", "8", "10"]
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert all(event["message"] != "x" for event in events)  # the resumed session's own alarms only


def test_resume_on_another_number_of_processes_is_refused_before_anything_is_written(tmp_path) -> None:
    from polemos.errors import PolemosError

    run = tmp_path / "run"
    trainer = make_trainer(make_config(run, steps=2))
    trainer.fit()
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    state["world_size"] = 2
    with pytest.raises(PolemosError, match=r"trained on 2 process\(es\) and would resume on 1; .* --devices 2"):
        make_trainer(make_config(run, steps=4)).load_state_dict(state)


def test_each_rank_keeps_its_own_data_position(tmp_path) -> None:
    trainer = make_trainer(make_config(tmp_path / "run", steps=2))
    state = trainer.state_dict()
    assert state["sampler_per_rank"].tolist() == [[state["sampler"]["epoch"], state["sampler"]["cursor"]]]
    state["sampler_per_rank"] = torch.tensor([[3, 5]])
    trainer.load_state_dict(state)
    assert trainer.sampler.state_dict() == {"epoch": 3, "cursor": 5}


@pytest.mark.parametrize(
    ("metric", "records", "kept_at"),
    [
        # prdc writes precision/recall/density/coverage records, none named "prdc": ranked by coverage, higher
        ("prdc", [{"precision": 0.9, "coverage": 0.2}, {"precision": 0.1, "coverage": 0.7}, {"coverage": 0.5}], 4),
        # the 1-NN accuracy is best at 0.5, not at its lowest
        ("1nn", [{"1nn": 0.9}, {"1nn": 0.3}, {"1nn": 0.55}], 6),
    ],
)
def test_checkpoints_are_ranked_the_way_each_metric_is_better(tmp_path, metric, records, kept_at) -> None:
    batches = iter(records)

    def fake_evaluate(generator, step):
        return [{"metric": name, "value": value, "extractor_id": "test"} for name, value in next(batches).items()]

    config = make_config(tmp_path / "run", "eval.every=2", f"eval.metric={metric}", steps=6)
    trainer = make_trainer(config)
    trainer.task.evaluate = fake_evaluate
    trainer.fit()
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "best.pt")["step"] == kept_at


def test_resume_into_networks_of_another_shape_is_one_line(tmp_path) -> None:
    from polemos.errors import PolemosError

    run = tmp_path / "run"
    make_trainer(make_config(run, steps=2)).fit()
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    torch.manual_seed(0)  # networks built for data of another width, as after the image folder changed
    task = build_points_task(sample_mixture("ring-8", 256, seed=0), latent_dim=2, width=32, depth=2)
    trainer = Trainer(make_config(run, steps=4), task, fabric=Fabric(accelerator="cpu", devices=1))
    with pytest.raises(PolemosError, match=r"do not fit the ones built for this data \(size mismatch for .*resume on"):
        trainer.load_state_dict(state)
