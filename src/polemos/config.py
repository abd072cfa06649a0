"""One typed source of configuration for a training run.

The defaults live here and only here: the CLI, presets and config files are layered on top of them in this
order — preset, ``--config FILE``, explicit CLI flags, dotted overrides (``game.n_critic=5``). The resolved
config is saved in the run folder as ``config.json`` and printed by ``--dry-run``.
"""

from __future__ import annotations

import copy
import difflib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from polemos.checks import MAX_SEED
from polemos.errors import PolemosError
from polemos.registry import Registry


class _Section(BaseModel):
    # nan or inf in any number (a penalty weight, an EMA half-life, max_time) is a typo, never a setting
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)


class DataConfig(_Section):
    """Where the training data comes from."""

    # a registered dataset name or a path (image folder, IDX file, .npy/.npz); "" would silently mean the cwd
    source: str = Field("digits", min_length=1)
    root: str | None = None  # local folder for torchvision datasets (never downloaded)
    resolution: int | None = Field(None, ge=8, le=256)  # None: native size rounded up to a power of two
    channels: int | None = Field(None, ge=1, le=4)  # None: inferred from the data
    conditional: bool = False  # class-conditional G and D, labels from the data
    # An unreadable (corrupt) file in an image folder is an error; true skips such files with a warning instead.
    skip_unreadable: bool = False

    @field_validator("resolution")
    @classmethod
    def _power_of_two(cls, value: int | None) -> int | None:
        # checked here, not only when the images load, so that --dry-run refuses what a real run would
        if value is not None and value & (value - 1):
            raise ValueError(f"{value} is not a power of two; use one of 8, 16, 32, 64, 128, 256")
        return value


class ModelConfig(_Section):
    """The networks."""

    architecture: str = "dcgan"  # a registered image model: dcgan, resnet
    latent_dim: int = Field(64, ge=1, le=4096)  # size of the latent vector z
    width: int = Field(64, ge=1, le=1024)  # base channel count of G and D
    # Spectral normalization on every layer of D; None: the modality's choice (images: on; points: off, because a
    # 1-Lipschitz D cannot separate points a few sigma apart when modes are 0.01 wide — docs/benchmarks.md §4).
    spectral_norm: bool | None = None
    # PacGAN packing (images, unconditional): D judges groups of `pack` samples, which penalises unequal mode
    # frequencies; train.batch_size must be divisible by it. 1: off.
    pack: int = Field(1, ge=1, le=16)
    # Minibatch standard deviation (images): D sees how much groups of this many samples vary, appended as one
    # feature map before its last layers (Karras et al. 2018). Mixes samples like batch norm. 0: off.
    minibatch_std: int = Field(0, ge=0, le=64)


class GameConfig(_Section):
    """The adversarial game: loss, penalty, schedule, optimizers and EMA."""

    loss: str = "hinge"  # a registered adversarial loss
    penalty: str = "none"  # a registered gradient penalty
    penalty_weight: float = Field(10.0, ge=0.0)  # multiplier of the penalty (gamma/2 for R1/R2, lambda for GP)
    penalty_every: int = Field(1, ge=1)  # lazy regularization: apply every k G steps, scaled by k
    n_critic: int = Field(1, ge=1, le=100)  # D steps per G step
    # Adam learning rates (TTUR: they may differ), with betas (0, 0.99). 1e-3 was measured best across tasks
    # (docs/benchmarks.md): on digits 2e-4 reaches a much lower score in the demo's time; on 2D mixtures 2e-3
    # captures no mode while 1e-3 beats 2e-4. The health monitor rolls back on divergence.
    lr_generator: float = Field(1e-3, gt=0.0, le=1.0)
    lr_discriminator: float = Field(1e-3, gt=0.0, le=1.0)
    # Learning-rate schedule over train.steps: "constant", or "cosine" from the full rate to lr_final x it.
    # None: the modality decides (GanTask.lr_schedule / lr_final: constant for images; cosine to 0.1 for 2D
    # points, where it lifts grid-25 from 93 % to 96 % high-quality samples, docs/benchmarks.md §4); the run
    # folder's config.json records the rate actually used.
    lr_schedule: Literal["constant", "cosine"] | None = None
    lr_final: float | None = Field(None, ge=0.0, le=1.0)  # final rate as a fraction of the initial ("cosine")
    beta1: float = Field(0.0, ge=0.0, lt=1.0)  # Adam beta1 for both networks
    beta2: float = Field(0.99, ge=0.0, lt=1.0)  # Adam beta2 for both networks
    clip_grad_norm: float | None = Field(None, gt=0.0)  # max L2 norm of each network's gradient; None: off
    ema_half_life: float | None = Field(10_000.0, gt=0.0)  # EMA of G, half-life in samples; None: off
    ema_rampup: float | None = Field(0.05, gt=0.0)  # cap the half-life at rampup * samples seen; None: off
    augment: str = ""  # DiffAugment policy for D in both phases, e.g. "color,translation,cutout"; "": none


class TrainConfig(_Section):
    """Bookkeeping: how long, how often, where, on what hardware."""

    steps: int = Field(2000, ge=1)  # generator steps (each preceded by n_critic discriminator steps)
    batch_size: int = Field(64, ge=1, le=65536)  # per process
    seed: int = Field(0, ge=0, le=MAX_SEED)  # Lightning seeds NumPy, whose seeds are 32-bit, with seed + rank
    out: str = Field("runs/default", min_length=1)  # the run folder ("" would silently mean the cwd)
    max_time: float | None = Field(None, gt=0.0)  # stop after this many seconds of training, None: no limit
    log_every: int = Field(25, ge=1)  # steps between statistics written to the sinks
    sample_every: int = Field(500, ge=1)  # steps between sample grids in RUN/samples
    checkpoint_every: int = Field(500, ge=1)  # steps between checkpoints in RUN/checkpoints
    num_samples: int = Field(64, ge=1, le=1024)  # images in each sample grid (a fixed latent batch)
    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"] = "auto"
    devices: int | Literal["auto"] = "auto"  # processes (GPUs) per node
    num_nodes: int = Field(1, ge=1)
    strategy: Literal["auto", "ddp", "single_device"] = "auto"  # not ddp_spawn: it needs the loop as a function
    precision: Literal["32-true", "bf16-mixed", "16-mixed"] = "32-true"
    num_threads: int | None = Field(None, ge=1)  # torch intra-op threads per process; None: cores / processes
    loggers: list[Literal["jsonl", "csv", "tensorboard", "wandb"]] = ["jsonl", "csv", "tensorboard", "wandb"]
    progress: bool = True  # rich progress bar

    @field_validator("devices", mode="before")
    @classmethod
    def _device_count(cls, value: Any) -> int | str:
        # one message instead of one per member of the union (int, "auto")
        if value == "auto":
            return value
        if isinstance(value, str) and value.strip().lstrip("+").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("devices must be a whole number of processes >= 1, or auto")
        return value


class HealthConfig(_Section):
    """The training-health monitor: divergence rollback and alarms, checked every ``train.log_every`` steps."""

    enabled: bool = True
    max_rollbacks: int = Field(3, ge=0)  # NaN/Inf recoveries before the run stops (keeping the last good state)
    rollback_lr_factor: float = Field(0.5, gt=0.0, lt=1.0)  # learning rates are multiplied by this per rollback
    # alarm when E[sign(D(real))] exceeds this; ADA adapts towards 0.6, but healthy hinge/SN runs sit near 0.9
    d_overfit_threshold: float = Field(0.98, gt=0.0, le=1.0)
    collapse_threshold: float = Field(0.25, ge=0.0, lt=1.0)  # alarm when sample diversity / data diversity < this
    warmup: float = Field(0.1, ge=0.0, le=1.0)  # share of train.steps before the alarms (not NaN checks) start


class EvalConfig(_Section):
    """Evaluation during training (off by default: it can dominate short CPU runs)."""

    every: int | None = Field(None, ge=1)  # G steps between evaluations; None: off
    metric: str = "kid"  # a registered metric (see `polemos list`); ranks checkpoints: fid, kid (lower), prdc
    # (by coverage, higher), 1nn (nearest 0.5) — polemos.metrics.better.RANKED_BY
    n: int = Field(1000, ge=10)  # generated and reference samples per evaluation
    extractor: str = "auto"  # "auto" (a domain classifier trained on the data), "pixels", or a file path
    keep_best: bool = True  # keep checkpoints/best.pt at the best evaluation so far (ranked as above)
    early_stop_patience: int | None = Field(None, ge=1)  # stop after this many evaluations without improvement


class RunConfig(_Section):
    """Everything that defines a training run."""

    preset: str = "default"
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    game: GameConfig = GameConfig()
    train: TrainConfig = TrainConfig()
    health: HealthConfig = HealthConfig()
    eval: EvalConfig = EvalConfig()

    @model_validator(mode="after")
    def _check_consistency(self) -> RunConfig:
        if self.train.precision == "16-mixed" and self.train.accelerator == "cpu":
            raise ValueError("precision 16-mixed needs a GPU; use bf16-mixed or 32-true on CPU")
        return self

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-serialisable dict."""
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        """The config as indented JSON."""
        return json.dumps(self.to_dict(), indent=2)


# Named presets: partial configs layered on the defaults above (they never restate a default).
PRESETS: Registry[dict[str, Any]] = Registry("preset")
PRESETS.add(
    "default",
    {},
    "the stable recipe: hinge loss, spectral norm on D, EMA of G, Adam(lr 1e-3, betas 0, 0.99)",
)
PRESETS.add(
    "limited-data",
    {"game": {"augment": "color,translation,cutout"}},
    "the default recipe with DiffAugment (color, translation, cutout) for small image sets at 32 px and up",
)
PRESETS.add(
    "demo",
    {
        "train": {
            "steps": 3000,
            "batch_size": 64,
            "sample_every": 250,
            "checkpoint_every": 500,
            "max_time": 140,
        }
    },
    "the default recipe on the bundled digits, sized for about 2 minutes on 2 CPU cores",
)


def _untricked_recipe(loss: str) -> dict[str, Any]:
    """The early papers' setting: ``loss``, Adam(2e-4, 0.5), no spectral norm, no EMA, a constant rate."""
    return {
        "model": {"spectral_norm": False},
        "game": {
            "loss": loss,
            "lr_generator": 2e-4,
            "lr_discriminator": 2e-4,
            "beta1": 0.5,
            "beta2": 0.999,
            "lr_schedule": "constant",  # the paper's recipe, whatever the modality prefers
            "ema_half_life": None,
        },
    }


PRESETS.add(
    "dcgan-classic",
    _untricked_recipe("nonsaturating"),
    "Radford et al. 2015: BCE loss, Adam(2e-4, 0.5), no spectral norm, no EMA, no augmentation",
)
PRESETS.add(
    "minimax-2014",
    _untricked_recipe("minimax"),
    "Goodfellow et al. 2014: the saturating minimax loss and no tricks (shows collapse)",
)
PRESETS.add(
    "wgan-gp",
    {
        "model": {"spectral_norm": False},
        "game": {
            "loss": "wasserstein",
            "penalty": "wgan-gp",
            "penalty_weight": 10.0,
            "n_critic": 5,
            "lr_generator": 1e-4,
            "lr_discriminator": 1e-4,
            "beta1": 0.0,
            "beta2": 0.9,
            "lr_schedule": "constant",  # the paper's recipe, whatever the modality prefers
        },
    },
    "Gulrajani et al. 2017: Wasserstein loss, gradient penalty 10, 5 critic steps, Adam(1e-4, 0, 0.9)",
)
PRESETS.add(
    "r1-lazy",
    {"game": {"loss": "nonsaturating", "penalty": "r1", "penalty_weight": 0.1, "penalty_every": 16}},
    "StyleGAN2-style: non-saturating loss with lazy R1 every 16 steps",
)


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _format_validation_error(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")  # our validators' own words
        if item["type"] == "extra_forbidden":
            problems.append(unknown_key_message(location))
        else:
            shown = item.get("input")
            if isinstance(shown, dict):  # a check across keys: its message names them; the input is the whole config
                problems.append(f"{location or 'config'}: {message}")
            else:
                problems.append(f"{location or 'config'}: {message} (got {shown!r})")
    return "invalid config: " + "; ".join(problems) + "; fix the flag, override or config file"


_SECTIONS: dict[str, type[_Section]] = {
    "data": DataConfig,
    "model": ModelConfig,
    "game": GameConfig,
    "train": TrainConfig,
    "health": HealthConfig,
    "eval": EvalConfig,
}
_SECTION_NAMES = tuple(_SECTIONS)


def valid_keys(section: str = "") -> list[str]:
    """Dotted names of the settable keys (of one section, or all)."""
    sections = _SECTIONS
    if section in sections:
        return [f"{section}.{name}" for name in sections[section].model_fields]
    return ["preset"] + [f"{name}.{key}" for name, cls in sections.items() for key in cls.model_fields]


def unknown_key_message(key: str) -> str:
    """A short line for an unknown dotted ``key``: a close match when there is one, else the valid keys nearby."""
    section, _, _ = key.rpartition(".")
    sections = _SECTION_NAMES
    if key in sections:  # a whole section set to a value, e.g. game=5
        return f"config key {key!r} is a section, not a value; set one of its keys, e.g. {valid_keys(key)[0]}=..."
    if not section:  # a top-level name (config files): a section or the preset
        names = [*sections, "preset"]
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]}?" if close else f"valid top-level keys: {', '.join(names)}"
        return f"unknown config section {key!r}; {hint}"
    close = difflib.get_close_matches(key, valid_keys(), n=1, cutoff=0.6)
    if not close and section not in sections:  # a misspelt section: suggest the section with the same key
        _, _, name = key.rpartition(".")
        renamed = [f"{match}.{name}" for match in difflib.get_close_matches(section, sections, n=1, cutoff=0.5)]
        close = [candidate for candidate in renamed if candidate in valid_keys()]
    if close:
        return f"unknown config key {key!r}; did you mean {close[0]}? (polemos train --dry-run shows all keys)"
    if section in sections:
        names = ", ".join(name.partition(".")[2] for name in valid_keys(section))
        return f"unknown config key {key!r}; valid keys of {section}: {names}"
    return (
        f"unknown config key {key!r}; keys are section.key with section one of {', '.join(sections)} "
        "(polemos train --dry-run shows all keys)"
    )


def parse_key_value(text: str, form: str = "key=value", example: str = "steps=100") -> tuple[str, Any]:
    """Splits ``key=value`` and reads the value in YAML syntax (numbers, lists, true/false; other words stay text).

    Raises:
        PolemosError: Naming ``form`` and ``example`` when ``text`` has no ``=`` or no key.
    """
    key, separator, raw_value = text.partition("=")
    if not separator or not key.strip():
        raise PolemosError(f"{text!r} is not of the form {form}, e.g. {example}")
    try:
        value = yaml.safe_load(raw_value) if raw_value.strip() else ""
    except yaml.YAMLError:
        value = raw_value
    return key.strip(), value


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parses ``section.key=value`` (value in YAML syntax) into a key path and a value."""
    key, value = parse_key_value(text, "section.key=value", "game.n_critic=5")
    if key == "preset":  # setting the name would not apply the recipe: config.json would name one that did not run
        raise PolemosError(f"a preset is chosen with --preset NAME (or preset: in a --config file), not {text!r}")
    if key not in valid_keys():
        raise PolemosError(unknown_key_message(key))
    return [part for part in key.split(".") if part], value


class _DuplicateKeyError(Exception):
    """A mapping of a config file names a key twice (YAML keeps the last silently)."""

    def __init__(self, key: object, line: int) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping: a second ``train:`` section
    would otherwise replace the first whole, and its settings would be lost without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`: merged keys may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise _DuplicateKeyError(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Reads a YAML or JSON config file into a dict.

    Raises:
        PolemosError: For a missing file, a folder, text that is not UTF-8, invalid syntax, a key given twice in
            one mapping, or content that is not a mapping.
    """
    file = Path(path)
    if file.is_dir():
        raise PolemosError(f"config file {str(file)!r} is a folder; pass a .yaml or .json file")
    if not file.is_file():
        raise PolemosError(f"config file {str(file)!r} does not exist; pass an existing .yaml or .json file")
    try:
        content = yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except _DuplicateKeyError as duplicate:
        raise PolemosError(
            f"config file {str(file)!r} gives {duplicate.key!r} twice (line {duplicate.line}); only the last would "
            "count: merge them into one"
        ) from None
    except UnicodeDecodeError:
        raise PolemosError(f"config file {str(file)!r} is not UTF-8 text; pass a .yaml or .json file") from None
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise PolemosError(f"config file {str(file)!r} is not valid YAML/JSON ({reason}); fix its syntax") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise PolemosError(f"config file {str(file)!r} must hold a mapping of sections (data, model, game, train)")
    if not isinstance(content.get("preset", ""), str):
        raise PolemosError(
            f"config file {str(file)!r}: preset must be a name, got {content['preset']!r}; e.g. preset: wgan-gp"
        )
    return content


def resolve_config(
    preset: str | None = None,
    config_file: str | Path | None = None,
    flags: dict[str, Any] | None = None,
    overrides: list[str] | None = None,
    base: dict[str, Any] | None = None,
) -> RunConfig:
    """Builds a validated :class:`RunConfig` from layers, later ones winning.

    Args:
        preset: Name of a preset in :data:`PRESETS`; defaults to the file's ``preset`` or ``"default"``.
        config_file: Optional YAML/JSON file with a partial config.
        flags: Dotted keys set by explicit CLI flags, e.g. ``{"train.steps": 100}``; ``None`` values are ignored.
        overrides: ``section.key=value`` strings.
        base: A full config dict to start from instead of the defaults (used by ``--resume``).

    Returns:
        The resolved config.

    Raises:
        PolemosError: On unknown presets or keys and out-of-range values.
    """
    layered: dict[str, Any] = copy.deepcopy(base) if base is not None else {}
    file_layer = load_config_file(config_file) if config_file is not None else {}
    preset_name = preset or file_layer.get("preset") or layered.get("preset") or "default"
    if base is None:
        layered = _deep_merge(layered, PRESETS.get(preset_name))
    layered = _deep_merge(layered, file_layer)
    layered["preset"] = preset_name
    for dotted, value in (flags or {}).items():
        if value is not None:
            _set_path(layered, dotted.split("."), value)
    for text in overrides or []:
        path, value = parse_override(text)
        _set_path(layered, path, value)
    try:
        return RunConfig.model_validate(layered)
    except ValidationError as error:
        raise PolemosError(_format_validation_error(error)) from None


def _set_path(tree: dict[str, Any], path: list[str], value: Any) -> None:
    node = tree
    for part in path[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise PolemosError(f"config key {'.'.join(path)!r} is not inside a section")
    node[path[-1]] = value
