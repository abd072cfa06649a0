"""The command line: one-line errors with exit code 2, dry runs, listing, and a short real training run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from polemos.config import resolve_config

POLEMOS = [sys.executable, "-m", "polemos"]


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*POLEMOS, *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_dry_run_prints_the_resolved_config() -> None:
    result = run("train", "--dry-run", "--steps", "7", "--loss", "wasserstein", "game.n_critic=5")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["train"]["steps"] == 7 and config["game"]["loss"] == "wasserstein"
    assert config["game"]["n_critic"] == 5


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--loss", "nope", "--dry-run"], "valid choices: hinge"),
        (["train", "--model", "vgg", "--dry-run"], "valid choices: dcgan"),
        (["train", "game.n_critic=0", "--dry-run"], "game.n_critic"),
        (["train", "--preset", "fast", "--dry-run"], "unknown preset"),
        (["train", "--data", "/nonexistent/folder", "--steps", "1"], "does not exist"),
        (["train", "--data", "imagenet", "--steps", "1"], "digits"),
        (["train", "data.resolution=24", "--steps", "1"], "power of two"),
        (["train", "--resume", "/nonexistent/run"], "no such run folder"),
        (["sample", "/nonexistent/run"], "does not exist"),
        (["bench", "nope"], "unknown benchmark"),
        (["bench", "stacked-mnist", "-o", "stepz=3"], "stacked-mnist has no option stepz; valid options: budget"),
        (["bench", "stacked-mnist", "--dataset", "ring-8"], "has no option dataset"),
        (["bench", "tabular-adult", "--quick", "-o", "budgt=3"], "tabular-adult has no option budgt"),
        (["bench", "mixtures", "--quick", "-o", "overrides=model.widht=3"], "unknown config key 'model.widht'"),
    ],
)
def test_bad_input_gives_one_line_errors(args, fragment, tmp_path) -> None:
    assert_one_line_error(run(*args, cwd=tmp_path), fragment)


def test_bench_collects_a_repeated_option_into_a_list(tmp_path) -> None:
    result = run(
        "bench", "mixtures", "--quick", "--seeds", "1", "-o", "steps=2", "-o", "train_points=512",
        "-o", "overrides=game.lr_generator=1e-4", "-o", "overrides=game.lr_discriminator=3e-4", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    protocol = json.loads(result.stdout)["protocol"]
    assert protocol["recipe_overrides"][-2:] == ["game.lr_generator=1e-4", "game.lr_discriminator=3e-4"]
    assert protocol["settings"]["steps"] == 2
    assert result.stderr.startswith("mixtures: ring-8 seed 0: ")  # progress on stderr, results on stdout


def test_empty_folder_and_nan_arrays(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    assert_one_line_error(run("train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "r")), "no image")
    array = np.zeros((4, 8, 8), dtype=np.float32)
    array[0, 0, 0] = np.nan
    np.save(tmp_path / "bad.npy", array)
    assert_one_line_error(run("train", "--data", str(tmp_path / "bad.npy"), "--out", str(tmp_path / "r")), "NaN")
    assert not (tmp_path / "r").exists()


def test_list_shows_registries() -> None:
    result = run("list")
    assert result.returncode == 0, result.stderr
    for name in ("digits", "dcgan", "resnet", "hinge", "wgan-gp", "dcgan-classic"):
        assert name in result.stdout
    # what other commands accept was missing: augmentations, extractors, 2D mixtures, path-like datasets
    for name in ("cutout", "translation", "pixels", "inception", "ring-8", "grid-25", "torchvision:<Name>"):
        assert name in result.stdout, name
    assert "Adam(lr 1e-3, betas 0, 0.99)" in result.stdout  # it read "Adam(0, 0.99)", a learning rate of 0


def test_train_sample_resume_and_guards(tmp_path) -> None:
    out = tmp_path / "run"
    common = ["train.progress=false", "train.log_every=2", "model.width=8", "train.batch_size=16"]
    first = run("train", "--steps", "4", "--out", str(out), *common)
    assert first.returncode == 0, first.stderr
    assert first.stderr.startswith("trained 4 steps in ")
    # one line whatever the width (it wrapped at 80 columns in logs, splitting the path)
    assert f"run folder: {out}" in first.stderr and len(first.stderr.strip().splitlines()) == 1
    assert (out / "checkpoints" / "last.pt").is_file() and (out / "samples").is_dir()
    # an existing run is never overwritten by accident
    assert_one_line_error(run("train", "--steps", "4", "--out", str(out), *common), "--resume")
    # resume with a changed model is refused; with more steps it continues
    assert_one_line_error(run("train", "--resume", str(out), "model.width=16"), "incompatible")
    second = run("train", "--resume", str(out), "--steps", "6")
    assert second.returncode == 0, second.stderr
    assert second.stderr.startswith("trained steps 5-6 in ")  # this session's steps, not "6 steps"
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]
    grid = tmp_path / "grid.png"
    sampled = run("sample", str(out), "--n", "9", "--out", str(grid))
    assert sampled.returncode == 0, sampled.stderr
    assert grid.is_file()
    # a corrupt checkpoint is a one-line error and is left in place
    (out / "checkpoints" / "last.pt").write_bytes(b"broken")
    assert_one_line_error(run("train", "--resume", str(out), "--steps", "8"), "corrupt")
    assert (out / "checkpoints" / "last.pt").read_bytes() == b"broken"


# ------------------------------------------------------------------------------------------------------------
# bad input, in-process (fast): each case is refused with one line before anything is written


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """Runs the ``polemos`` entry point in this process; returns (exit code, stdout, stderr)."""
    from polemos.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def assert_one_line(result: tuple[int, str, str], fragment: str) -> None:
    code, _, err = result
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    assert lines[0].startswith("error:") and fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_digits_trainer):
    """A 3-step unconditional digits run (read-only: tests copy it before changing it)."""
    return tiny_digits_trainer(tmp_path_factory.mktemp("cli") / "run", 3, 16, ["model.latent_dim=8"])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--steps", "twenty"], "invalid value for '--steps'"),
        (["train", "--channels", "1"], "no such option --channels (see polemos train --help)"),
        (["trian"], "no such command 'trian'"),
        (["list", "models"], "(see polemos list --help)"),
        (["train", "--data", "mnist", "--dry-run"], "unknown image dataset 'mnist'"),
        (["train", "game.n_critc=2", "--dry-run"], "did you mean game.n_critic?"),
    ],
)
def test_usage_errors_and_dry_runs_are_one_line(capsys, args, fragment) -> None:
    assert_one_line(run_main(capsys, *args), fragment)


def test_help_still_works(capsys) -> None:
    code, out, _ = run_main(capsys, "train", "--help")
    assert code == 0 and "--steps" in out


def test_out_that_is_a_file_or_inside_the_data_folder_is_refused(capsys, tmp_path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("precious")
    assert_one_line(run_main(capsys, "train", "--out", str(precious)), "is an existing file, not a folder")
    assert precious.read_text() == "precious"
    images = tmp_path / "images"
    images.mkdir()
    for index in range(2):
        Image.fromarray(np.full((8, 8), index, dtype=np.uint8)).save(images / f"{index}.png")
    for out in (images, images / "runs" / "a"):
        result = run_main(capsys, "train", "--data", str(images), "--out", str(out))
        assert_one_line(result, "is the data folder")
    assert sorted(path.name for path in images.iterdir()) == ["0.png", "1.png"]


def test_out_holding_files_a_run_writes_is_refused(capsys, tmp_path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "report.html").write_text("<p>my own report</p>")
    (folder / "notes.txt").write_text("kept")  # other files are fine: only names a run writes are refused
    result = run_main(capsys, "train", "--steps", "1", "--out", str(folder))
    assert_one_line(result, "already holds report.html, which a run writes; choose a new or empty --out folder")
    assert (folder / "report.html").read_text() == "<p>my own report</p>" and len(list(folder.iterdir())) == 2


def test_out_under_a_file_is_one_line_before_training(capsys, tmp_path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("precious")
    for command in ("train", "demo"):
        result = run_main(capsys, command, "--steps", "1", "--out", str(precious / "run"))
        assert_one_line(result, "is a file, not a folder")
    assert precious.read_text() == "precious"


def test_a_run_without_its_checkpoint_is_not_overwritten(capsys, tiny_run, tmp_path) -> None:
    run_copy = shutil.copytree(tiny_run, tmp_path / "run")
    (run_copy / "checkpoints" / "last.pt").unlink()
    before = (run_copy / "generator.safetensors").read_bytes()
    assert_one_line(run_main(capsys, "train", "--out", str(run_copy), "--steps", "1"), "already holds a run")
    assert (run_copy / "generator.safetensors").read_bytes() == before


def test_a_run_that_stopped_before_its_first_step_can_be_started_again(capsys, tiny_run, tmp_path) -> None:
    # a crash at step 1 (a plugin's bug) left only the step-0 state, and the next try was refused as a run
    run_copy = shutil.copytree(tiny_run, tmp_path / "run")
    metadata = json.loads((run_copy / "model.json").read_text())
    (run_copy / "model.json").write_text(json.dumps({**metadata, "step": 0}))
    (run_copy / "metrics.jsonl").unlink()
    code, _, err = run_main(capsys, "train", "--out", str(run_copy), "--steps", "2", "train.progress=false")
    assert code == 0, err
    assert err.startswith(f"note: {run_copy} holds a run that stopped before its first step; starting it again")
    assert json.loads((run_copy / "model.json").read_text())["step"] == 2


def test_dry_run_on_an_existing_run_prints_the_config_and_says_a_run_would_stop(capsys, tiny_run) -> None:
    before = (tiny_run / "generator.safetensors").read_bytes()
    code, out, err = run_main(capsys, "train", "--dry-run", "--out", str(tiny_run))
    assert code == 0 and json.loads(out)["train"]["out"] == str(tiny_run)
    checked, note = err.strip().splitlines()
    assert checked.startswith("checked: one training step ran")
    assert note.startswith("note: a real run would stop here:") and "already holds a training run" in note
    assert (tiny_run / "generator.safetensors").read_bytes() == before


def test_dry_run_checks_one_step_and_prints_what_the_modality_decides(capsys, tmp_path) -> None:
    out = tmp_path / "run"
    code, stdout, err = run_main(capsys, "train", "--dry-run", "--out", str(out), "model.latent_dim=8")
    assert code == 0 and err.startswith("checked: one training step ran"), err
    config = json.loads(stdout)
    assert config["model"]["spectral_norm"] is True and config["game"]["lr_schedule"] == "constant"  # not null
    assert config["train"]["out"] == str(out) and not out.exists()  # the step ran in a scratch folder


def test_dry_run_finds_what_only_the_first_step_would(capsys, tmp_path, monkeypatch) -> None:
    from polemos.game.losses import LOSSES, AdversarialLoss

    monkeypatch.setattr(LOSSES, "_entries", dict(LOSSES._entries))
    per_sample = AdversarialLoss("per-sample", lambda r, f: -r + f, lambda f, r=None: -f, False, "https://example.org")
    LOSSES.add("per-sample", per_sample)
    out = tmp_path / "run"
    for args, fragment in (
        (["--loss", "per-sample"], "loss 'per-sample' (discriminator side) returned shape (16,), not a scalar"),
        (["model.pack=3"], "train.batch_size 16 is not divisible by model.pack 3"),
    ):
        code, stdout, err = run_main(capsys, "train", "--dry-run", "--out", str(out), "--batch-size", "16", *args)
        assert_one_line((code, stdout, err), fragment)
        assert json.loads(stdout)["train"]["batch_size"] == 16  # the config is still printed beside the error
        assert not out.exists()


def test_dry_run_turns_any_failure_of_the_first_step_into_one_line(capsys, monkeypatch) -> None:
    from polemos.train.loop import Trainer

    def broken_step(self) -> None:
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (16x3 and 4x8)\nmore detail")

    monkeypatch.setattr(Trainer, "train_step", broken_step)
    result = run_main(capsys, "train", "--dry-run", "--batch-size", "16")
    assert_one_line(result, "a real run would fail at its first step: RuntimeError: mat1 and mat2 shapes cannot")
    assert "without --dry-run for the traceback" in result[2]


def test_resume_refuses_another_out_and_has_nothing_to_do_at_its_step(capsys, tiny_run, tmp_path) -> None:
    run_copy = shutil.copytree(tiny_run, tmp_path / "run")
    other = tmp_path / "other"
    result = run_main(capsys, "train", "--resume", str(run_copy), "--out", str(other), "--steps", "6")
    assert_one_line(result, "--resume continues the run in place; drop --out")
    assert not other.exists()
    checkpoint = (run_copy / "checkpoints" / "last.pt").read_bytes()
    code, out, err = run_main(capsys, "train", "--resume", str(run_copy), "--steps", "2")
    assert code == 0 and "already at step 3" in err and "nothing to do" in err and "trained" not in err + out
    assert (run_copy / "checkpoints" / "last.pt").read_bytes() == checkpoint


def test_sample_checks_out_and_run_paths(capsys, tiny_run, tmp_path) -> None:
    assert_one_line(run_main(capsys, "sample", str(tiny_run), "--out", str(tmp_path)), "is a folder")
    result = run_main(capsys, "sample", str(tiny_run), "--out", str(tmp_path / "g.xyz"))
    assert_one_line(result, "unsupported output g.xyz; use a file name ending in .png or .jpg")
    result = run_main(capsys, "sample", str(tiny_run), "--class", "3", "--out", str(tmp_path / "g.png"))
    assert_one_line(result, "unconditional generator (no classes); drop --class")
    code, _, err = run_main(capsys, "sample", str(tiny_run), "--n", "4", "--out", str(tmp_path / "g.jpg"))
    assert code == 0, err
    with Image.open(tmp_path / "g.jpg") as picture:
        assert picture.format == "JPEG"
    # an existing file is replaced only with --overwrite
    before = (tmp_path / "g.jpg").read_bytes()
    result = run_main(capsys, "sample", str(tiny_run), "--n", "4", "--out", str(tmp_path / "g.jpg"), "--seed", "1")
    assert_one_line(result, "exists; choose another --out or pass --overwrite")
    assert (tmp_path / "g.jpg").read_bytes() == before
    args = ("sample", str(tiny_run), "--n", "4", "--out", str(tmp_path / "g.jpg"), "--seed", "1", "--overwrite")
    code, _, err = run_main(capsys, *args)
    assert code == 0 and (tmp_path / "g.jpg").read_bytes() != before, err
    result = run_main(capsys, "sample", str(tiny_run), "--out", str(tmp_path / "n.png"), "--seed", "-1")
    assert_one_line(result, "--seed must be a non-negative integer, got -1")  # as series and tabular sample
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    assert_one_line(run_main(capsys, "sample", str(a_file)), "is a file, not a run folder")
    assert_one_line(run_main(capsys, "eval", str(a_file), "--extractor", "pixels"), "is a file, not a run folder")
    assert_one_line(run_main(capsys, "train", "--resume", str(a_file)), "is a file, not a run folder")


def test_sample_class_out_of_range(capsys, tiny_digits_trainer, tmp_path) -> None:
    run = tiny_digits_trainer(tmp_path / "cond", 1, 16, ["model.latent_dim=8", "data.conditional=true"])
    result = run_main(capsys, "sample", str(run), "--n", "8", "--class", "42", "--out", str(tmp_path / "g.png"))
    assert_one_line(result, "--class 42 is out of range; valid classes: 0..9")


def test_missing_training_data_names_its_path(capsys, tiny_digits_trainer, tmp_path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    for index in range(8):
        Image.fromarray(np.full((8, 8), 30 * index, dtype=np.uint8)).save(images / f"{index}.png")
    run = tiny_digits_trainer(tmp_path / "run", 1, 4, ["model.latent_dim=8", f"data.source={images}"])
    shutil.rmtree(images)
    fragment = f"this run's training data '{images}'"
    result = run_main(capsys, "eval", str(run), "--metrics", "fid", "--n", "20", "--extractor", "pixels")
    assert_one_line(result, fragment)
    assert "restore it at that path" in result[2]
    assert_one_line(run_main(capsys, "train", "--resume", str(run), "--steps", "5"), fragment)


def test_printed_errors_keep_square_brackets(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes `import torchvision` raise ImportError
    result = run_main(capsys, "train", "--data", "torchvision:MNIST", "data.root=.", "--out", str(tmp_path / "r"))
    assert_one_line(result, "pip install 'polemos[vision]'")  # not eaten as rich markup


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("train", "--data", "digits", "--out", "RUN"),
            "interrupted; the checkpoint of step 3 is kept (continue with polemos train --resume RUN)",
        ),
        (
            ("train", "--data", "digits", "--out", "runs/never-written"),
            "interrupted before the first checkpoint was written: nothing to resume",
        ),
        (("series", "fit", "prices.csv", "--out", "runs/y"), "interrupted"),
    ],
)
def test_ctrl_c_says_what_is_kept_only_where_a_checkpoint_is(capsys, monkeypatch, tiny_run, args, expected) -> None:
    import polemos.cli as cli

    args = tuple(str(tiny_run) if arg == "RUN" else arg for arg in args)
    expected = expected.replace("RUN", str(tiny_run))

    def interrupted(**_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_mount_sub_apps", lambda argv: None)
    monkeypatch.setattr(cli, "app", interrupted)
    code, _, err = run_main(capsys, *args)
    assert code == 130 and err.strip() == expected  # one line, even when stderr is not a terminal


def test_a_run_ended_by_its_time_limit_says_so(tmp_path) -> None:
    from polemos.cli import _time_limit_note
    from polemos.train.loop import TrainResult

    config = resolve_config(preset="demo", flags={"train.out": str(tmp_path)})
    stopped = TrainResult(tmp_path, 1375, 141.0, 700.0, stopped_by_time=True)
    note = _time_limit_note(stopped, config)
    assert f"stopped by its {config.train.max_time:g} s limit" in note and f"before {config.train.steps} steps" in note
    finished = TrainResult(tmp_path, config.train.steps, 80.0, 1200.0, stopped_by_time=False)
    assert _time_limit_note(finished, config) == ""


@pytest.mark.parametrize("content", ["null", "[1, 2]"])
def test_resume_of_a_run_whose_config_is_not_a_mapping_is_one_line(capsys, tiny_run, tmp_path, content) -> None:
    run_copy = shutil.copytree(tiny_run, tmp_path / "run")
    (run_copy / "config.json").write_text(content)
    result = run_main(capsys, "train", "--resume", str(run_copy), "--steps", "6")
    assert_one_line(result, "config.json is missing or corrupt; restore it from a copy of the run")


def test_a_bad_eval_extractor_or_metric_fails_before_training(capsys, tmp_path) -> None:
    missing = tmp_path / "missing.safetensors"
    for setting in (f"eval.extractor={missing}", "eval.metric=fdi"):
        assert_one_line(run_main(capsys, "train", "--dry-run", "eval.every=1", setting), "")
        out = tmp_path / "run"
        result = run_main(capsys, "train", "--out", str(out), "--steps", "2", "eval.every=1", setting)
        assert_one_line(result, "valid choices" if "metric" in setting else "neither a built-in name")
        assert not out.exists()  # no half-written run folder to block a retry


def test_sample_of_a_grid_too_large_fails_before_sampling(capsys, tiny_run, tmp_path) -> None:
    result = run_main(capsys, "sample", str(tiny_run), "--n", "300000", "--out", str(tmp_path / "g.webp"))
    assert_one_line(result, "more than WEBP allows (16,383); pass a smaller --n")
    result = run_main(capsys, "sample", str(tiny_run), "--n", "10000000000", "--out", str(tmp_path / "g.png"))
    assert_one_line(result, "more than this machine's")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["sample", "RUN", "--seed", "99999999999999999999"],
        ["eval", "RUN", "--extractor", "pixels", "--metrics", "kid", "--n", "20", "--seed", "99999999999999"],
        ["extractor", "train", "--data", "digits", "--out", "OUT/x.safetensors", "--seed", "99999999999999999999"],
    ],
)
def test_seeds_too_large_for_torch_are_one_line(capsys, tiny_run, tmp_path, args) -> None:
    args = [str(tiny_run) if arg == "RUN" else arg.replace("OUT", str(tmp_path)) for arg in args]
    if args[0] == "sample":
        args += ["--out", str(tmp_path / "g.png")]
    assert_one_line(run_main(capsys, *args), "is too large; pass a seed between 0 and 2147483647")


def test_help_of_train_shows_the_config_defaults(capsys) -> None:
    from polemos.config import RunConfig

    code, out, _ = run_main(capsys, "train", "--help")
    defaults = RunConfig()
    text = " ".join(out.split())  # rich wraps the help to the terminal width
    assert code == 0
    for shown in (
        f"(default: {defaults.data.source})",
        f"(default: {defaults.model.architecture})",
        f"(default: {defaults.train.steps})",
        f"(default: {defaults.train.out})",
    ):
        assert shown in text, shown


def test_demo_defaults_to_a_new_folder_each_time(monkeypatch, tmp_path) -> None:
    import polemos.cli as cli

    folders: list[str] = []

    def record_and_stop(config, resume=False):
        folders.append(config.train.out)
        raise SystemExit(0)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "run_training", record_and_stop)
    with pytest.raises(SystemExit):
        cli.demo(out=None, steps=1)
    assert (
        len(folders) == 1
        and folders[0].startswith("runs/demo-")
        and len(folders[0]) == len("runs/demo-20261203-180000")
    )


def test_sigterm_stops_training_like_ctrl_c_and_keeps_the_checkpoint(tmp_path) -> None:
    import signal
    import time

    out = tmp_path / "run"
    settings = ["train.progress=false", "model.latent_dim=8", "train.checkpoint_every=1000000"]  # kept: step 0
    command = [*POLEMOS, "train", "--steps", "1000000", "--out", str(out), *settings]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "model.json").exists() and time.monotonic() < deadline:  # the first checkpoint is written
        time.sleep(0.2)
    time.sleep(1.0)  # into training
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr[-2000:]
    last_line = (stdout + stderr).strip().splitlines()[-1]
    assert last_line.startswith("stopped by SIGTERM; the checkpoint of step 0 ") and "Traceback" not in stderr
    assert f"is kept (continue with polemos train --resume {out})" in last_line
    assert not list(out.rglob(".*.tmp")) and (out / "checkpoints" / "last.pt").is_file()
    (out / "checkpoints" / ".last.pt.abc.tmp").write_bytes(b"half")  # as a SIGKILL mid-write would leave
    result = run("train", "--resume", str(out), "--steps", "2")
    assert result.returncode == 0 and not list(out.rglob(".*.tmp")), result.stderr[-2000:]


def test_a_relative_data_path_is_recorded_absolute(capsys, tmp_path, monkeypatch) -> None:
    np.save(tmp_path / "images.npy", np.zeros((20, 1, 8, 8), dtype=np.uint8))
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(capsys, "train", "--data", "images.npy", "--dry-run", "--batch-size", "8")
    assert code == 0, err
    assert json.loads(out)["data"]["source"] == str(tmp_path.resolve() / "images.npy")  # --resume from anywhere


def test_resume_with_more_steps_on_a_decaying_schedule_says_it_is_not_one_run(capsys, tiny_run, tmp_path) -> None:
    run_copy = shutil.copytree(tiny_run, tmp_path / "run")
    config = json.loads((run_copy / "config.json").read_text())
    config["game"]["lr_schedule"] = "cosine"  # as a run trained with a decaying rate records it
    (run_copy / "config.json").write_text(json.dumps(config))
    code, out, err = run_main(capsys, "train", "--resume", str(run_copy), "--steps", "5", "train.progress=false")
    assert code == 0, err
    assert "note: game.lr_schedule=cosine spans train.steps; resuming with 5 steps instead of 3" in out + err


def test_a_read_only_run_folder_is_one_line_for_resume_report_and_eval(capsys, tiny_run, tmp_path, monkeypatch) -> None:
    from pathlib import Path

    run_copy = shutil.copytree(tiny_run, tmp_path / "run")
    write_bytes = Path.write_bytes

    def read_only(self, data):  # as on a read-only mount (root ignores chmod): the write probe fails
        if self.name.startswith(".polemos-write-check"):
            raise OSError(30, "Read-only file system")
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", read_only)
    # each says what can be done: none of them has an option to write elsewhere ("choose a writable location")
    for args, fix in (
        (("train", "--resume", str(run_copy), "--steps", "6"), "resume the copy"),
        (("report", str(run_copy)), "report on the copy"),
        (("eval", str(run_copy), "--extractor", "pixels", "--n", "20"), "evaluate the copy"),
    ):
        result = run_main(capsys, *args)
        assert_one_line(result, f"(Read-only file system); copy the run folder somewhere writable and {fix}")


def test_sample_class_named_by_a_number_is_not_read_as_an_id(capsys, tiny_digits_trainer, tmp_path) -> None:
    labels = np.array([3, 7] * 8)
    np.savez(tmp_path / "pairs.npz", images=np.zeros((16, 8, 8), dtype=np.uint8), labels=labels)
    overrides = ["model.latent_dim=8", "data.conditional=true", f"data.source={tmp_path / 'pairs.npz'}"]
    run = tiny_digits_trainer(tmp_path / "pairs", 1, 4, overrides)
    # --class 1 drew class '7' (id 1) and --class 0 class '3', without a word
    result = run_main(capsys, "sample", str(run), "--class", "1", "--out", str(tmp_path / "g.png"))
    assert_one_line(result, "--class 1 is not one of this run's classes, which are named by numbers: 3 (0), 7 (1)")
    code, out, err = run_main(capsys, "sample", str(run), "--n", "4", "--class", "7", "--out", str(tmp_path / "g.png"))
    assert code == 0 and "wrote 4 samples of class '7' (id 1) to" in out + err, err
