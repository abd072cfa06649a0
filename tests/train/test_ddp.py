"""Two CPU processes (gloo DDP) end with identical weights."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import torch

SCRIPT = textwrap.dedent(
    """
    import sys
    import torch
    from lightning_fabric import Fabric
    from polemos.config import resolve_config
    from polemos.points import build_points_task, sample_mixture
    from polemos.train.loop import Trainer

    out = sys.argv[1]
    fabric = Fabric(accelerator="cpu", devices=2, strategy="ddp")
    fabric.launch()
    fabric.seed_everything(7 + fabric.global_rank)  # ranks start from different RNG states on purpose
    config = resolve_config(
        flags={"train.out": out, "train.steps": 5, "train.batch_size": 8},
        overrides=["game.augment=", "train.progress=false", "train.log_every=5", "game.penalty=r1",
                   "game.penalty_every=2", "train.loggers=[jsonl]"],
    )
    torch.manual_seed(fabric.global_rank)  # even the initial weights differ: DDP must broadcast rank 0's
    task = build_points_task(sample_mixture("ring-8", 128, seed=0), latent_dim=2, width=16, depth=2)
    trainer = Trainer(config, task, fabric=fabric)
    result = trainer.fit()
    state = {f"G.{k}": v for k, v in task.generator.state_dict().items()}
    state.update({f"D.{k}": v for k, v in task.discriminator.state_dict().items()})
    state.update({f"EMA.{k}": v for k, v in trainer.ema.state_dict().items()})
    torch.save(state, f"{out}/rank{fabric.global_rank}.pt")
    """
)


def test_two_gloo_processes_end_with_identical_weights(tmp_path) -> None:
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MASTER_PORT": "29531"}
    completed = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "deprecated" not in completed.stderr  # Fabric's all_gather warned once per process (torch 2.13)
    rank0 = torch.load(tmp_path / "run" / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "run" / "rank1.pt", weights_only=True)
    assert rank0.keys() == rank1.keys()
    different = [key for key in rank0 if not torch.equal(rank0[key], rank1[key])]
    assert not different, different
    # and training actually moved the weights away from rank 1's own initialisation
    torch.manual_seed(1)
    from polemos.points import build_points_task, sample_mixture

    fresh = build_points_task(sample_mixture("ring-8", 8, seed=0), latent_dim=2, width=16, depth=2)
    first_key = next(iter(fresh.generator.state_dict()))
    assert not torch.equal(fresh.generator.state_dict()[first_key], rank1[f"G.{first_key}"])


RESUME_SCRIPT = textwrap.dedent(
    """
    import sys
    from lightning_fabric import Fabric
    from polemos.config import resolve_config
    from polemos.points import build_points_task, sample_mixture
    from polemos.train.loop import Trainer

    out, steps, resume = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "resume"
    fabric = Fabric(accelerator="cpu", devices=2, strategy="ddp")
    fabric.launch()
    fabric.seed_everything(3 + fabric.global_rank)
    config = resolve_config(
        flags={"train.out": out, "train.steps": steps, "train.batch_size": 8},
        overrides=["game.augment=", "game.lr_schedule=constant", "train.progress=false", "train.log_every=4",
                   "train.loggers=[jsonl]"],
    )
    # 127 points: the ranks' shares hold 64 and 63, so their data cursors part after the first pass (step 4)
    task = build_points_task(sample_mixture("ring-8", 127, seed=0), latent_dim=2, width=16, depth=2)
    Trainer(config, task, fabric=fabric).fit(resume=resume)
    """
)


def test_two_process_resume_on_an_unevenly_split_dataset_is_exact(tmp_path) -> None:
    from polemos.train.checkpoint import load_checkpoint

    script = tmp_path / "ddp_resume.py"
    script.write_text(RESUME_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MASTER_PORT": "29533"}

    def run(out: str, steps: int, mode: str) -> None:
        command = [sys.executable, str(script), str(tmp_path / out), str(steps), mode]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
        assert completed.returncode == 0, completed.stderr[-3000:]

    run("straight", 12, "fresh")
    run("split", 6, "fresh")
    run("split", 12, "resume")
    expected = load_checkpoint(tmp_path / "straight" / "checkpoints" / "last.pt")
    actual = load_checkpoint(tmp_path / "split" / "checkpoints" / "last.pt")
    assert actual["step"] == 12 and actual["sampler_per_rank"].tolist() == expected["sampler_per_rank"].tolist()
    assert actual["sampler_per_rank"][0].tolist() != actual["sampler_per_rank"][1].tolist()  # the case that broke
    for part in ("generator", "discriminator"):
        different = [key for key in expected[part] if not torch.equal(expected[part][key], actual[part][key])]
        assert not different, (part, different)
