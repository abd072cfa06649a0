"""Feature extractors that turn images into the (N, D) features the distances of ``distances.py`` compare.

Three kinds, all offline:

- ``pixels``: :class:`PixelExtractor`, the flattened pixels (for low-dimensional data such as 2D mixtures).
- ``domain``: :class:`DomainClassifier`, a small CNN trained in-house on the same domain (digits, MNIST...)
  with :func:`train_domain_classifier`; its 128-d penultimate layer gives the features. Saved as safetensors
  with JSON metadata (architecture, class names, validation accuracy, weights hash): no pickle.
- ``inception``: :class:`InceptionExtractor`, the 2048-d pool features of the FID Inception-v3, loaded from a
  local weights file only (the pytorch-fid state dict or NVIDIA's TorchScript file).

Every extractor carries an ``id`` and a ``hash`` (sha256 of its weights, recomputed from the tensors), which
:mod:`polemos.metrics.protocol` stores next to every metric value.
"""

from __future__ import annotations

import abc
import hashlib
import json
import math
import struct
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from torch import Tensor, nn

from polemos.errors import PolemosError
from polemos.files import atomic_write
from polemos.metrics.inception import INCEPTION_FEATURE_DIM, INCEPTION_RESOLUTION, FIDInceptionV3
from polemos.registry import Registry

DOMAIN_CLASSIFIER_FORMAT = "polemos-domain-classifier"
DOMAIN_CLASSIFIER_FORMAT_VERSION = 1

_INCEPTION_SOURCES = (
    "FID needs a local Inception-v3 file: pt_inception-2015-12-05-6726825d.pth (the 'fid_weights' release of "
    "github.com/mseitzer/pytorch-fid, also used by torch-fidelity) or NVIDIA's TorchScript "
    "inception-2015-12-05.pt (stylegan2-ada-pytorch metrics); download it on a machine with network access "
    "and pass --extractor PATH"
)


# ----------------------------------------------------------------------------------------------------
# Hashing and batching helpers


def weights_sha256(state: Mapping[str, Tensor]) -> str:
    """sha256 hex digest of a state dict, independent of dict order and device.

    Entries are visited in sorted key order; each contributes its name, dtype, shape and raw bytes (native
    byte order, i.e. little-endian on all supported machines). ``num_batches_tracked`` counters are skipped:
    they do not change the outputs and are absent from some published files.
    """
    digest = hashlib.sha256()
    for name in sorted(state):
        if name.endswith("num_batches_tracked"):
            continue
        tensor = state[name].detach().to("cpu").contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _as_images(images: Tensor) -> Tensor:
    """Checks the (N, C, H, W) shape; uint8 pixels are mapped from [0, 255] to [-1, 1]."""
    if not isinstance(images, Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise PolemosError(f"images have shape {shape}; pass a tensor of shape (N, C, H, W)")
    if images.dtype == torch.uint8:
        return images.float() / 127.5 - 1.0
    if not images.is_floating_point():
        raise PolemosError(f"images have dtype {images.dtype}; pass uint8 pixels or floats in [-1, 1]")
    return images


def _resize(images: Tensor, resolution: int, antialias: bool) -> Tensor:
    """Bilinear resize of (N, C, H, W) to (resolution, resolution); a no-op when the size already matches."""
    if images.shape[-2:] == (resolution, resolution):
        return images
    downsampling = images.shape[-1] > resolution or images.shape[-2] > resolution
    return F.interpolate(
        images,
        size=(resolution, resolution),
        mode="bilinear",
        align_corners=False,
        antialias=antialias and downsampling,
    )


def _progress(enabled: bool) -> Progress:
    """A transient bar on stderr (stdout keeps the results), drawn only on a terminal.

    Elsewhere (a pipe, a log file) rich would leave a blank line where the transient bar was, e.g. above an error.
    """
    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not enabled or not console.is_terminal,
    )


def _run_batched(
    function: Callable[[Tensor], Tensor],  # maps a batch on the compute device to (B, D)
    images: Tensor,  # (N, C, H, W)
    batch_size: int,
    device: torch.device,  # where the network lives
    progress: bool,
    description: str,
) -> Tensor:
    """Applies ``function`` batch by batch under ``torch.no_grad``; returns on the device of ``images``."""
    if batch_size < 1:
        raise PolemosError(f"batch_size is {batch_size}; pass a positive batch size")
    outputs = []
    with torch.no_grad(), _progress(progress) as bar:
        task = bar.add_task(description, total=images.shape[0])
        for start in range(0, images.shape[0], batch_size):
            batch = _as_images(images[start : start + batch_size].to(device))
            outputs.append(function(batch).float().to(images.device))
            bar.advance(task, batch.shape[0])
    if not outputs:
        raise PolemosError("no images were given; pass at least one image")
    return torch.cat(outputs)


# ----------------------------------------------------------------------------------------------------
# Base class


class FeatureExtractor(abc.ABC):
    """Maps images (N, C, H, W) in [-1, 1] to features (N, dim).

    Attributes:
        id: Name of the extractor and its configuration (``"pixels"``, ``"inception-v3-fid"``...).
        dim: Feature width; 0 when it depends on the input (pixels of unknown shape).
        resolution: Side length the images are resized to, or ``None`` (used as given).
        channels: Channels the extractor expects, or ``None`` (any).
    """

    id: str
    dim: int
    resolution: int | None
    channels: int | None

    @property
    def hash(self) -> str:
        """sha256 hex digest of the weights (see :func:`weights_sha256`), recomputed on each access."""
        return weights_sha256(self.state_dict())

    def state_dict(self) -> dict[str, Tensor]:
        """The tensors that determine the outputs (empty for weightless extractors)."""
        return {}

    @property
    def device(self) -> torch.device:
        """Device the computation runs on."""
        return torch.device("cpu")

    def to(self, device: torch.device | str) -> Self:
        """Moves the weights to ``device``; returns ``self``."""
        return self

    def features(self, images: Tensor, batch_size: int = 256, progress: bool = False) -> Tensor:
        """Features of ``images``, computed in batches, without gradients, in eval mode.

        Args:
            images: (N, C, H, W) floats in [-1, 1] (uint8 pixels in [0, 255] are also accepted).
            batch_size: Images per forward pass.
            progress: Show a rich progress bar.

        Returns:
            (N, dim) float32 features on the device of ``images``.
        """
        return _run_batched(self._batch_features, images, batch_size, self.device, progress, f"features {self.id}")

    def probabilities(self, images: Tensor, batch_size: int = 256, progress: bool = False) -> Tensor:
        """Class probabilities (N, K) for classifiers; raises :class:`PolemosError` for other extractors."""
        raise PolemosError(
            f"extractor {self.id!r} is not a classifier; use a domain classifier or Inception weights for scores"
        )

    @abc.abstractmethod
    def _batch_features(self, images: Tensor) -> Tensor:
        """Features of one batch already on :attr:`device`."""

    def _check_channels(self, images: Tensor, repeat_grey: bool = False) -> Tensor:
        if self.channels is None or images.shape[1] == self.channels:
            return images
        if repeat_grey and images.shape[1] == 1:
            return images.expand(-1, self.channels, -1, -1)  # grey -> RGB by repetition
        raise PolemosError(
            f"extractor {self.id!r} expects {self.channels}-channel images but got {images.shape[1]} "
            "channels; use an extractor trained on this data"
        )


# ----------------------------------------------------------------------------------------------------
# Pixels


class PixelExtractor(FeatureExtractor):
    """Identity features: the flattened pixels (for low-dimensional data; no weights, hash of nothing).

    Args:
        channels: Expected channels, or ``None`` for any.
        resolution: Side length to resize to, or ``None`` to keep the input size.
    """

    def __init__(self, channels: int | None = None, resolution: int | None = None) -> None:
        self.id = "pixels"
        self.channels = channels
        self.resolution = resolution
        self.dim = channels * resolution * resolution if channels and resolution else 0

    def _batch_features(self, images: Tensor) -> Tensor:
        images = self._check_channels(images)
        if self.resolution is not None:
            images = _resize(images, self.resolution, antialias=True)
        return images.reshape(images.shape[0], -1)


# ----------------------------------------------------------------------------------------------------
# Domain classifier


class DomainClassifierNetwork(nn.Module):
    """Small CNN: 3x3 convolutions (the last two with stride 2), a 128-d feature layer, a linear classifier.

    Args:
        channels: Input channels.
        resolution: Input side length (images are resized to it).
        num_classes: Number of classes.
        widths: Channels of the three convolutions.
        feature_dim: Width of the penultimate (feature) layer.
    """

    def __init__(
        self,
        channels: int,
        resolution: int,
        num_classes: int,
        widths: Sequence[int] = (32, 64, 64),
        feature_dim: int = 128,
    ) -> None:
        super().__init__()
        first, second, third = widths
        self.convolutions = nn.Sequential(
            nn.Conv2d(channels, first, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(first, second, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(second, third, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        side = (((resolution - 1) // 2 + 1) - 1) // 2 + 1  # side after two stride-2, padding-1 3x3 convolutions
        pooled_side = min(side, 4)  # caps the flattened width for large images
        self.pool = nn.AdaptiveAvgPool2d(pooled_side)
        self.feature_layer = nn.Linear(third * pooled_side * pooled_side, feature_dim)
        self.dropout = nn.Dropout(0.25)
        self.classifier = nn.Linear(feature_dim, num_classes)

    def features(self, images: Tensor) -> Tensor:
        """Penultimate pre-activations (N, feature_dim): dense, so the covariance stays full rank for FID."""
        hidden = self.pool(self.convolutions(images))
        return self.feature_layer(hidden.flatten(start_dim=1))

    def forward(self, images: Tensor) -> Tensor:
        """Class logits (N, num_classes)."""
        return self.classifier(self.dropout(F.relu(self.features(images))))


class DomainClassifier(FeatureExtractor):
    """A :class:`DomainClassifierNetwork` used as feature extractor and classifier.

    Args:
        network: The trained network.
        architecture: The keyword arguments that rebuild ``network`` (channels, resolution, num_classes,
            widths, feature_dim).
        class_names: One name per class.
        accuracy: Validation accuracy measured by :func:`train_domain_classifier`, or ``None``.
    """

    def __init__(
        self,
        network: DomainClassifierNetwork,
        architecture: Mapping[str, Any],
        class_names: Sequence[str],
        accuracy: float | None,
    ) -> None:
        self.network = network.eval()
        self.architecture = dict(architecture)
        self.class_names = list(class_names)
        self.accuracy = accuracy
        self.channels = int(architecture["channels"])
        self.resolution = int(architecture["resolution"])
        self.dim = int(architecture["feature_dim"])
        self.id = f"domain-cnn-{self.channels}x{self.resolution}x{self.resolution}-{len(self.class_names)}classes"

    def state_dict(self) -> dict[str, Tensor]:
        return dict(self.network.state_dict())

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device

    def to(self, device: torch.device | str) -> Self:
        self.network.to(device)
        return self

    def _prepare(self, images: Tensor) -> Tensor:
        return _resize(self._check_channels(images), self.resolution, antialias=True)

    def _batch_features(self, images: Tensor) -> Tensor:
        self.network.eval()
        return self.network.features(self._prepare(images))

    def probabilities(self, images: Tensor, batch_size: int = 256, progress: bool = False) -> Tensor:
        """Softmax class probabilities (N, num_classes)."""
        self.network.eval()
        return _run_batched(
            lambda batch: torch.softmax(self.network(self._prepare(batch)), dim=1),
            images,
            batch_size,
            self.device,
            progress,
            f"probabilities {self.id}",
        )

    def save(self, path: str | Path) -> Path:
        """Writes the weights as safetensors with JSON metadata (architecture, classes, accuracy, hash)."""
        from safetensors.torch import save_file

        path = Path(path)
        state = {name: tensor.detach().to("cpu").contiguous() for name, tensor in self.state_dict().items()}
        metadata = {
            "format": DOMAIN_CLASSIFIER_FORMAT,
            "version": DOMAIN_CLASSIFIER_FORMAT_VERSION,
            "id": self.id,
            "architecture": self.architecture,
            "class_names": self.class_names,
            "accuracy": None if self.accuracy is None or math.isnan(self.accuracy) else self.accuracy,
            "hash": weights_sha256(state),
        }
        metadata_text = {"polemos": json.dumps(metadata)}
        return atomic_write(path, lambda temporary: save_file(state, str(temporary), metadata=metadata_text))

    @classmethod
    def load(cls, path: str | Path) -> DomainClassifier:
        """Reads a file written by :meth:`save`; a missing, corrupt or altered file raises PolemosError."""
        from safetensors import safe_open

        path = Path(path)
        if not path.is_file():
            raise PolemosError(
                f"domain classifier {path} not found; train one with train_domain_classifier and save it"
            )
        try:
            with safe_open(str(path), framework="pt", device="cpu") as handle:
                metadata = json.loads((handle.metadata() or {})["polemos"])
                state = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
            if metadata.get("format") != DOMAIN_CLASSIFIER_FORMAT:
                raise ValueError(f"format is {metadata.get('format')!r}")
            network = DomainClassifierNetwork(**metadata["architecture"])
            network.load_state_dict(state, strict=True)
        except Exception as error:  # safetensors, json and torch raise various types for a damaged file
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            raise PolemosError(
                f"cannot read domain classifier {path} ({reason}); the file is corrupt or not a polemos "
                "domain classifier: recreate it with polemos extractor train (or train_domain_classifier)"
            ) from None
        computed = weights_sha256(state)
        if computed != metadata.get("hash"):
            raise PolemosError(
                f"weights in {path} do not match the hash stored in the file (stored {metadata.get('hash')}, "
                f"computed {computed}); the file was altered or damaged: retrain or restore it"
            )
        return cls(network, metadata["architecture"], metadata["class_names"], metadata.get("accuracy"))


def train_domain_classifier(
    images: Tensor,  # (N, C, H, W) uint8 in [0, 255] or float in [-1, 1]; square images
    labels: Tensor,  # (N,) integer classes 0..K-1
    epochs: int = 10,  # passes over the training part
    seed: int = 0,  # seeds the split, the initialisation and the batch order
    validation_fraction: float = 0.1,  # held-out share used for the returned accuracy
    progress: bool = True,  # show a rich progress bar
    *,
    class_names: Sequence[str] | None = None,  # one per class; default "0", "1", ...
    batch_size: int = 64,  # images per optimiser step
    learning_rate: float = 2e-3,  # Adam step size
    widths: Sequence[int] = (32, 64, 64),  # channels of the three convolutions
    feature_dim: int = 128,  # width of the feature layer
) -> tuple[DomainClassifier, float]:
    """Trains a :class:`DomainClassifier` with Adam and cross-entropy on the images' device.

    Returns:
        The classifier (in eval mode) and its accuracy on the held-out ``validation_fraction`` of the images
        (``nan`` when ``validation_fraction`` is 0).
    """
    images = _as_images(images)
    if images.shape[2] != images.shape[3]:
        raise PolemosError(f"images are {images.shape[2]}x{images.shape[3]}; crop or resize them to squares first")
    if float(images.abs().max()) > 1.5:
        raise PolemosError("float images must be in [-1, 1]; scale them (x / 127.5 - 1 for 0..255 pixels)")
    labels = torch.as_tensor(labels).to(images.device).long().reshape(-1)
    if labels.shape[0] != images.shape[0]:
        raise PolemosError(f"{images.shape[0]} images but {labels.shape[0]} labels; pass one label per image")
    if int(labels.min()) < 0:
        raise PolemosError("labels must be integers 0..K-1; re-encode them")
    num_classes = int(labels.max()) + 1
    names = [str(index) for index in range(num_classes)] if class_names is None else list(class_names)
    if len(names) != num_classes:
        raise PolemosError(f"{len(names)} class names for {num_classes} classes; pass one name per class")
    if not 0.0 <= validation_fraction < 1.0:
        raise PolemosError(f"validation_fraction is {validation_fraction}; pass a value in [0, 1)")

    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(images.shape[0], generator=generator).to(images.device)
    num_validation = round(images.shape[0] * validation_fraction)
    if validation_fraction > 0:
        num_validation = max(1, num_validation)
    validation_index, training_index = order[:num_validation], order[num_validation:]
    if training_index.numel() == 0:
        raise PolemosError("no images left for training; pass more images or a smaller validation_fraction")

    architecture = {
        "channels": images.shape[1],
        "resolution": images.shape[2],
        "num_classes": num_classes,
        "widths": list(widths),
        "feature_dim": feature_dim,
    }
    devices = [images.device] if images.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        network = DomainClassifierNetwork(**architecture).to(images.device)
        optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
        steps_per_epoch = math.ceil(training_index.numel() / batch_size)
        with _progress(progress) as bar:
            task = bar.add_task("training domain classifier", total=epochs * steps_per_epoch)
            for _ in range(epochs):
                network.train()
                shuffled = training_index[torch.randperm(training_index.numel(), generator=generator).to(images.device)]
                for start in range(0, shuffled.numel(), batch_size):
                    batch = shuffled[start : start + batch_size]
                    loss = F.cross_entropy(network(images[batch]), labels[batch])
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    bar.advance(task)
    network.eval()
    classifier = DomainClassifier(network, architecture, names, accuracy=None)
    accuracy = float("nan")
    if num_validation > 0:
        validation_images = images[validation_index]
        predicted = classifier.probabilities(validation_images, batch_size=1024).argmax(dim=1)
        accuracy = float((predicted == labels[validation_index].to(predicted.device)).double().mean())
    classifier.accuracy = accuracy
    return classifier, accuracy


# ----------------------------------------------------------------------------------------------------
# Inception


def _is_torchscript(path: Path) -> bool:
    """TorchScript archives are zip files holding ``constants.pkl`` and a ``code/`` folder."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("constants.pkl") or "/code/" in name for name in archive.namelist())


def _schema_arguments(module: torch.jit.ScriptModule) -> set[str]:
    try:
        return {argument.name for argument in module.forward.schema.arguments}
    except AttributeError:  # not a scripted method (e.g. a traced module without schema)
        return set()


class InceptionExtractor(FeatureExtractor):
    """2048-d pool features of the FID Inception-v3, from a local weights file (see :meth:`from_file`).

    Args:
        network: A :class:`FIDInceptionV3` with loaded weights, or a TorchScript Inception.
        torchscript: Whether ``network`` is a TorchScript module (NVIDIA convention, see :meth:`from_file`).
    """

    def __init__(self, network: nn.Module, torchscript: bool = False) -> None:
        self.network = network.eval()
        self.torchscript = torchscript
        self.id = "inception-v3-torchscript" if torchscript else "inception-v3-fid"
        self.dim = INCEPTION_FEATURE_DIM
        self.channels = 3
        self.resolution = INCEPTION_RESOLUTION
        arguments = _schema_arguments(network) if torchscript else set()
        self._accepts_return_features = "return_features" in arguments
        self._accepts_no_output_bias = "no_output_bias" in arguments

    @classmethod
    def from_file(cls, path: str | Path) -> InceptionExtractor:
        """Loads Inception weights from a local file; never downloads.

        Two formats are recognised:

        (a) a state dict like pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth``, read with
            ``torch.load(weights_only=True)`` into :class:`FIDInceptionV3`. Images are resized to 299x299
            (bilinear, as pytorch-fid) and passed in [-1, 1].
        (b) a TorchScript Inception such as NVIDIA's ``inception-2015-12-05.pt``. Assumed convention (that of
            stylegan2-ada-pytorch and clean-fid): ``forward(images, return_features=True)`` takes 3-channel
            images with values in [0, 255] at any size, resizes them to 299 itself, and returns (N, 2048)
            pool features; ``no_output_bias=True`` returns softmax probabilities. Images are therefore passed
            at their own size, mapped from [-1, 1] to [0, 255]. A module without ``return_features`` must
            return the (N, 2048) features from a plain call.

        Grey images are repeated to three channels.

        Raises:
            PolemosError: The file is missing or is neither format.
        """
        path = Path(path)
        if not path.is_file():
            raise PolemosError(f"Inception weights {path} not found. {_INCEPTION_SOURCES}")
        if _is_torchscript(path):
            try:
                module = torch.jit.load(str(path), map_location="cpu")
            except Exception as error:
                raise PolemosError(f"cannot load TorchScript {path} ({error}). {_INCEPTION_SOURCES}") from None
            return cls(module, torchscript=True)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            raise PolemosError(f"cannot read {path} as a state dict ({reason}). {_INCEPTION_SOURCES}") from None
        if not isinstance(state, Mapping) or not all(isinstance(value, Tensor) for value in state.values()):
            raise PolemosError(f"{path} does not hold a state dict of tensors. {_INCEPTION_SOURCES}")
        network = FIDInceptionV3()
        result = network.load_state_dict(state, strict=False)
        # files saved by old torch versions lack BatchNorm's num_batches_tracked counters, which do not matter
        missing = [key for key in result.missing_keys if not key.endswith("num_batches_tracked")]
        unexpected = [key for key in result.unexpected_keys if not key.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise PolemosError(
                f"{path} is not an FID Inception-v3 state dict (missing keys {missing[:3]}, unexpected keys "
                f"{unexpected[:3]}). {_INCEPTION_SOURCES}"
            )
        return cls(network)

    def state_dict(self) -> dict[str, Tensor]:
        return dict(self.network.state_dict())

    @property
    def device(self) -> torch.device:
        for tensor in self.network.parameters():
            return tensor.device
        for tensor in self.network.buffers():
            return tensor.device
        return torch.device("cpu")

    def to(self, device: torch.device | str) -> Self:
        self.network.to(device)
        return self

    def _batch_features(self, images: Tensor) -> Tensor:
        images = self._check_channels(images, repeat_grey=True)
        if self.torchscript:
            pixels = ((images + 1.0) * 127.5).clamp(0.0, 255.0)  # [-1, 1] -> [0, 255], the TorchScript input
            output = (
                self.network(pixels, return_features=True) if self._accepts_return_features else self.network(pixels)
            )
            output = output.reshape(images.shape[0], -1)
            if output.shape[1] != INCEPTION_FEATURE_DIM:
                raise PolemosError(
                    f"the TorchScript Inception returned {output.shape[1]} values per image instead of 2048; "
                    "pass a file that follows NVIDIA's inception-2015-12-05.pt convention"
                )
            return output
        return self.network(_resize(images, INCEPTION_RESOLUTION, antialias=False))

    def probabilities(self, images: Tensor, batch_size: int = 256, progress: bool = False) -> Tensor:
        """Softmax over the 1008 Inception classes of the logits *without* output bias (original IS code)."""
        if self.torchscript:
            if not self._accepts_no_output_bias:
                raise PolemosError(
                    "this TorchScript Inception has no no_output_bias argument, so it gives no "
                    "probabilities; use the pytorch-fid .pth weights for classifier scores"
                )

            def function(batch: Tensor) -> Tensor:
                batch = self._check_channels(batch, repeat_grey=True)
                return self.network(((batch + 1.0) * 127.5).clamp(0.0, 255.0), no_output_bias=True)

        else:
            network = self.network
            assert isinstance(network, FIDInceptionV3)

            def function(batch: Tensor) -> Tensor:
                return torch.softmax(network.unbiased_logits(self._batch_features(batch)), dim=1)

        return _run_batched(function, images, batch_size, self.device, progress, "probabilities inception")


# ----------------------------------------------------------------------------------------------------
# Registry and loading by name or path


def _is_safetensors(path: Path) -> bool:
    """safetensors files start with an 8-byte little-endian header length followed by a JSON object."""
    with path.open("rb") as handle:
        prefix = handle.read(9)
    if len(prefix) < 9:
        return False
    (header_length,) = struct.unpack("<Q", prefix[:8])
    return prefix[8:9] == b"{" and 8 + header_length <= path.stat().st_size


def is_safetensors_file(path: str | Path) -> bool:
    """Whether ``path`` is a readable file that starts like a safetensors file (header length, then JSON)."""
    try:
        return Path(path).is_file() and _is_safetensors(Path(path))
    except OSError:
        return False


def is_extractor_file(path: str | Path) -> bool:
    """Whether ``path`` holds a domain classifier saved by polemos (its safetensors metadata says so), as opposed
    to another safetensors file such as a run's ``generator.safetensors``."""
    if not is_safetensors_file(path):
        return False
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            text = (handle.metadata() or {}).get("polemos", "")
        return json.loads(text).get("format") == DOMAIN_CLASSIFIER_FORMAT if text else False
    except (OSError, ValueError, AttributeError, RuntimeError):  # a damaged header, or metadata of another shape
        return False


def load_extractor(path: str | Path) -> FeatureExtractor:
    """Loads a file-based extractor, detecting the format from the file's content.

    safetensors -> :class:`DomainClassifier`; TorchScript or a state dict -> :class:`InceptionExtractor`.

    Raises:
        PolemosError: Missing, corrupt or unrecognised file.
    """
    path = Path(path)
    if not path.is_file():
        raise PolemosError(
            f"extractor file {path} not found; pass a domain classifier saved by polemos (.safetensors) "
            "or local Inception weights (pt_inception-2015-12-05-*.pth or inception-2015-12-05.pt)"
        )
    if _is_safetensors(path):
        return DomainClassifier.load(path)
    if path.suffix.lower() == ".safetensors":  # named like a domain classifier, but its header is broken
        raise PolemosError(
            f"extractor file {path} is corrupt (not a valid safetensors file: bad or truncated header); "
            "recreate it with polemos extractor train --data DATA --out FILE.safetensors, or pass another file"
        )
    return InceptionExtractor.from_file(path)


def _needs_path(kind: str, loader: Callable[[Path], FeatureExtractor]) -> Callable[[str | None], FeatureExtractor]:
    def load(path: str | None) -> FeatureExtractor:
        if not path:
            raise PolemosError(f"extractor {kind!r} needs a file; pass {kind}:PATH or just the PATH")
        return loader(Path(path))

    return load


def _pixels(path: str | None) -> FeatureExtractor:
    if path:
        raise PolemosError(f"extractor 'pixels' takes no file but got {path!r}; pass just 'pixels'")
    return PixelExtractor()


EXTRACTORS: Registry[Callable[[str | None], FeatureExtractor]] = Registry("feature extractor")
EXTRACTORS.add("pixels", _pixels, "flattened pixels, no weights (low-dimensional data)")
EXTRACTORS.add(
    "inception", _needs_path("inception", InceptionExtractor.from_file), "FID Inception-v3 from a local file"
)
EXTRACTORS.add("domain", _needs_path("domain", DomainClassifier.load), "in-house domain classifier (.safetensors)")


def get_extractor(spec: str) -> FeatureExtractor:
    """The extractor named by ``spec``: ``"pixels"``, ``"KIND:PATH"`` (KIND in :data:`EXTRACTORS`) or a path.

    A bare path is recognised by content: a polemos domain classifier (safetensors), an Inception state dict
    (``.pth``) or a TorchScript Inception.

    Raises:
        PolemosError: Unknown name, missing or unreadable file.
    """
    if spec in EXTRACTORS:
        return EXTRACTORS.get(spec)(None)
    kind, separator, rest = spec.partition(":")
    if separator and kind in EXTRACTORS:
        return EXTRACTORS.get(kind)(rest)
    if not Path(spec).exists():
        raise PolemosError(
            f"extractor {spec!r} is neither a built-in name ({', '.join(EXTRACTORS.names())}) nor an "
            "existing file; pass 'pixels' or the path of a domain classifier or of local Inception weights"
        )
    return load_extractor(spec)
