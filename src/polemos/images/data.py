"""Image data: one loader for named datasets, torchvision datasets, image folders, IDX files and numpy arrays.

Every source ends as an :class:`ImageData` record holding square ``uint8`` images of one power-of-two
resolution (``N, C, R, R``) with ``C`` 1 (greyscale) or 3 (colour). Images are kept as ``uint8`` to save
memory (a quarter of float32) and mapped to the model range ``[-1, 1]`` batch by batch
with :func:`to_model_range`.

Sources understood by :func:`load_images`:

1. a name registered in :data:`IMAGE_DATASETS` (``"digits"``: scikit-learn's 1,797 handwritten 8x8 digits);
2. ``"torchvision:<ClassName>"`` read from a local ``root`` folder (polemos never downloads);
3. a folder of images, searched recursively, labelled by first-level sub-folder when every image sits in one;
4. an IDX file (``*-idx3-ubyte``, gzipped or not, the MNIST format), labels from the sibling ``idx1`` file;
5. a ``.npy`` array or a ``.npz`` archive (images under ``images``, ``x`` or ``arr_0``; labels under
   ``labels`` or ``y``).
"""

from __future__ import annotations

import contextlib
import gzip
import inspect
import logging
import math
import os
import re
import statistics
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from polemos.errors import PolemosError
from polemos.progress import progress_bar
from polemos.registry import Registry, check_callable

logger = logging.getLogger(__name__)

SUPPORTED_RESOLUTIONS = (8, 16, 32, 64, 128, 256)
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp"})
PROGRESS_MIN_FILES = 500  # folders with more image files than this show a progress bar
ALPHA_BACKGROUND = (255, 255, 255)  # transparent pixels are composited onto white

_IDX_IMAGES_NAME = re.compile(r"idx3[-_.]ubyte$", re.IGNORECASE)
_IDX_LABELS_NAME = re.compile(r"idx1[-_.]ubyte$", re.IGNORECASE)
_IDX_UBYTE_CODE = 0x08  # IDX data type code of unsigned bytes
_NPZ_IMAGE_KEYS = ("images", "x", "arr_0")
_NPZ_LABEL_KEYS = ("labels", "y")
_GREYSCALE_MODES = frozenset({"1", "L", "LA", "La", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_VALID_SOURCES = "a folder of images, an IDX file (*-idx3-ubyte[.gz]) or a .npy/.npz file"
_NPY_MAGIC = b"\x93NUMPY"  # the first bytes of every .npy file (numpy.lib.format)
_ZIP_MAGIC = b"PK"  # .npz archives are zip files
_RESOLUTION_HINT = "data.resolution=N (--resolution N for polemos extractor train)"


class UnreadableImagesError(PolemosError):
    """Image files that cannot be decoded, found while loading a folder (or a dataset of PIL images).

    Args:
        where: The folder or dataset.
        files: The unreadable files.
        hint: How to skip them instead, in the terms of the caller (a config key or a flag).
    """

    def __init__(
        self, where: str, files: Sequence[str], hint: str = "set data.skip_unreadable=true", reason: str = ""
    ) -> None:
        self.where, self.files, self.reason = where, list(files), reason
        examples = ", ".join(self.files[:3]) + (", ..." if len(self.files) > 3 else "")
        # the decoder's reason for the first file: "not an image" and "too large" need different fixes
        why = f"; the first: {reason}" if reason else ""
        super().__init__(
            f"{len(self.files)} unreadable image file(s) in {where} ({examples}{why}); delete or fix them, "
            f"or {hint} to skip them"
        )


def _decoder_reason(error: Exception) -> str:
    """The first line of a decoder's error, with its type: ``DecompressionBombError: Image size (...) exceeds``."""
    text = (str(error).splitlines() or [""])[0].strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class MixedChannelsError(PolemosError):
    """A folder (or dataset) mixing greyscale and colour images, loaded without a channel count.

    Args:
        where: The folder or dataset.
        greyscale: How many images are greyscale.
        colour: How many images are colour.
        hint: How to bring them to one mode, in the terms of the caller (a config key, or converting the files).
    """

    def __init__(
        self,
        where: str,
        greyscale: int,
        colour: int,
        hint: str = "set data.channels=1 or data.channels=3 to convert them all",
    ) -> None:
        self.where, self.greyscale, self.colour = where, greyscale, colour
        super().__init__(f"mixed channel counts in {where}: {greyscale} greyscale and {colour} colour images; {hint}")


@dataclass(frozen=True, eq=False)  # eq=False: tensors have no single truth value; records compare by identity
class ImageData:
    """A loaded image dataset, ready for training.

    Attributes:
        images: ``uint8`` tensor ``(N, C, R, R)``: C is 1 (greyscale) or 3 (RGB), R the resolution, pixels
            0..255.
        labels: ``int64`` tensor ``(N,)`` of class ids in ``[0, num_classes)``; all zeros when unlabelled.
        class_names: The name of each class id, ``()`` when unlabelled.
        source: What was loaded, e.g. ``"digits"`` or the resolved path.
        skipped: Files that could not be read and were skipped (folders only; 0 otherwise).
    """

    images: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, ...]
    source: str
    skipped: int = 0

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(f"images must be uint8 (N, C, R, R), got {self.images.dtype} {self.shape}")
        if self.images.shape[1] not in (1, 3) or self.images.shape[2] != self.images.shape[3]:
            raise ValueError(f"images must have 1 or 3 channels and square sides, got shape {self.shape}")
        if self.labels.dtype != torch.int64 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"labels must be an int64 tensor of shape ({self.images.shape[0]},)")

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of :attr:`images`, ``(N, C, R, R)``."""
        return tuple(self.images.shape)

    @property
    def num_classes(self) -> int:
        """The number of classes, 0 when unlabelled."""
        return len(self.class_names)

    @property
    def channels(self) -> int:
        """1 for greyscale, 3 for RGB."""
        return int(self.images.shape[1])

    @property
    def resolution(self) -> int:
        """The side R of the square images, a power of two in [8, 256]."""
        return int(self.images.shape[-1])

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def classes_shortfall(self) -> str | None:
        """Why these images cannot train a class-conditional model or a classifier (fewer than 2 classes), or None.

        The phrase follows the source in a message: ``has no class labels`` or ``holds only one class ('cat')``.
        """
        if self.num_classes >= 2:
            return None
        if self.num_classes == 1:
            return f"holds only one class ({self.class_names[0]!r}); classes need at least 2"
        return "has no class labels"

    def __repr__(self) -> str:
        return (
            f"ImageData(source={self.source!r}, n={len(self)}, channels={self.channels}, "
            f"resolution={self.resolution}, num_classes={self.num_classes}, skipped={self.skipped})"
        )


@dataclass(frozen=True, eq=False)
class NativeImages:
    """Images decoded at their native size, before the common resize and channel conversion.

    What a loader in :data:`IMAGE_DATASETS` returns.

    Attributes:
        pixels: ``uint8`` array ``(N, C, H, W)`` with C 1, 3 or 4 (RGBA; alpha is composited onto white).
        labels: ``(N,)`` array of raw labels (any sortable values), or ``None`` when unlabelled.
        class_names: Names of the sorted unique labels; ``()`` to use ``str`` of each unique label.
        source: What was loaded, shown in :attr:`ImageData.source`.
    """

    pixels: np.ndarray
    labels: np.ndarray | None
    class_names: tuple[str, ...]
    source: str


IMAGE_DATASETS: Registry[Callable[[Path | None], NativeImages]] = Registry(
    "image dataset",
    # a loader is called with the data.root folder (or None): root -> NativeImages
    lambda name, loader: check_callable(loader, f"image dataset {name!r}: the loader", "root"),
)


@IMAGE_DATASETS.register("digits", "scikit-learn handwritten digits: 1,797 greyscale 8x8 images, 10 classes")
def _load_digits(root: Path | None) -> NativeImages:
    """scikit-learn handwritten digits: 1,797 greyscale 8x8 images, 10 classes."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    # pixel counts 0..16 -> 0..255
    pixels = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)[:, None]
    return NativeImages(pixels, digits.target.astype(np.int64), tuple(str(d) for d in range(10)), "digits")


# ------------------------------------------------------------------------------------------------------------
# public helpers


def check_resolution(resolution: int) -> int:
    """Returns ``resolution`` when it is a power of two in [8, 256], else raises :class:`PolemosError`."""
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer):
        raise PolemosError(f"resolution {resolution!r} is not an integer; use one of {_resolutions_text()}")
    if int(resolution) not in SUPPORTED_RESOLUTIONS:
        raise PolemosError(
            f"resolution {resolution} is not a power of two between 8 and 256; use one of {_resolutions_text()}"
        )
    return int(resolution)


def to_model_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """Maps ``uint8`` pixels 0..255 to float32 in [-1, 1]: ``x / 127.5 - 1``. Device follows the input."""
    if images_uint8.dtype != torch.uint8:
        raise TypeError(f"to_model_range expects uint8 pixels, got {images_uint8.dtype}")
    return images_uint8.to(torch.float32) / 127.5 - 1.0


def from_model_range(images: torch.Tensor) -> torch.Tensor:
    """Maps model outputs in [-1, 1] to ``uint8`` pixels: ``round(clamp((x + 1) * 127.5, 0, 255))``."""
    return ((images.detach().to(torch.float32) + 1.0) * 127.5).clamp(0.0, 255.0).round().to(torch.uint8)


def load_images(
    source: str | os.PathLike,  # a dataset name, "torchvision:<ClassName>", or a folder/IDX/.npy/.npz path
    resolution: int | None = None,  # output side R, a power of two in [8, 256]; None: native size rounded up
    channels: int | None = None,  # 1 (greyscale) or 3 (RGB) to convert; None: inferred from the data
    root: str | os.PathLike | None = None,  # local folder for torchvision datasets (never downloaded)
    progress: bool = True,  # show a progress bar when decoding more than PROGRESS_MIN_FILES files
    skip_unreadable: bool = False,  # skip undecodable image files with a warning instead of failing
) -> ImageData:
    """Loads images from any supported source as square ``uint8`` images of one resolution.

    Args:
        source: A name in :data:`IMAGE_DATASETS` (e.g. ``"digits"``), ``"torchvision:<ClassName>"`` (e.g.
            ``"torchvision:CIFAR10"``, read from ``root``), or a path to a folder of images, an IDX images
            file (``*-idx3-ubyte``, optionally ``.gz``) or a ``.npy``/``.npz`` array.
        resolution: Side of the output images; a power of two in [8, 256]. ``None`` uses the native size
            (the shorter side; the median over a folder) rounded up to the next power of two, at least 8, at
            most 256.
        channels: 1 or 3 to convert every image to greyscale or RGB; ``None`` infers it (a folder mixing
            greyscale and colour images is then an error).
        root: Folder holding a torchvision dataset, or passed to a registered dataset loader.
        progress: Whether to show a progress bar for large folders.
        skip_unreadable: Skip image files that cannot be decoded (counted in :attr:`ImageData.skipped`, with
            a warning) instead of raising :class:`UnreadableImagesError`.

    Returns:
        The images, labels and class names. Images whose size differs from the resolution have their
        shorter side resized to it (Lanczos when shrinking, bicubic when enlarging) and are centre-cropped;
        a folder of mixed sizes whose resolution was inferred gets a one-line notice.

    Raises:
        PolemosError: On a missing path, unknown name or file type, unreadable data, or a bad resolution or
            channel count; the message names the problem and the fix.
        UnreadableImagesError: A folder holds image files that cannot be decoded (and ``skip_unreadable`` is
            off).
    """
    if resolution is not None:
        resolution = check_resolution(resolution)
    if channels is not None and (isinstance(channels, bool) or channels not in (1, 3)):
        raise PolemosError(f"channels {channels!r} is not supported; use 1 (greyscale) or 3 (colour)")
    root_path = Path(root).expanduser() if root is not None else None

    if isinstance(source, str) and source in IMAGE_DATASETS:
        native = IMAGE_DATASETS.get(source)(root_path)
        return _finish_native(native, resolution, channels, progress, skip_unreadable)
    if isinstance(source, str) and source.lower().startswith("torchvision:"):
        native_or_files = _load_torchvision(source.split(":", 1)[1], root_path)
        return _finish_native(native_or_files, resolution, channels, progress, skip_unreadable)

    path = check_source(source)
    assert path is not None  # names and torchvision sources returned above
    if path.is_dir():
        return _load_folder(path, resolution, channels, progress, skip_unreadable)
    return _finish_native(_load_file(path), resolution, channels, progress, skip_unreadable)


def is_named_source(source: str | os.PathLike) -> bool:
    """Whether ``source`` is a registered dataset name or a ``torchvision:<ClassName>`` (not a path)."""
    return isinstance(source, str) and (source in IMAGE_DATASETS or source.lower().startswith("torchvision:"))


def check_source(source: str | os.PathLike) -> Path | None:
    """Checks, without reading any images, that ``source`` names a dataset or an existing path of a known kind.

    Returns:
        The resolved path, or ``None`` for a registered name or a ``torchvision:`` source.

    Raises:
        PolemosError: An unknown dataset name, a missing path, or a file of an unknown type.
    """
    if isinstance(source, str) and source.lower().startswith("torchvision:"):
        try:  # else a dry run would pass and the real run stop
            import torchvision  # noqa: F401
        except ImportError:
            raise PolemosError(
                f"{source} needs torchvision, which is not installed; run pip install 'polemos[vision]'"
            ) from None
    if is_named_source(source):
        return None
    path = Path(source).expanduser()
    try:
        exists = path.exists()
    except PermissionError:  # a folder on the way cannot be searched
        raise PolemosError(
            f"cannot read data path {str(source)!r} (permission denied); check its permissions"
        ) from None
    if not exists:
        names = ", ".join(IMAGE_DATASETS.names())
        text = str(source)
        if "/" not in text and os.sep not in text and not Path(text).suffix:
            raise PolemosError(
                f"unknown image dataset {text!r} and no such path; valid names: {names}, "
                f"torchvision:<ClassName> with data.root=FOLDER, or a path to {_VALID_SOURCES}"
            )
        raise PolemosError(
            f"data path {text!r} does not exist; pass a dataset name ({names}, ...) or a path to a folder, "
            "an IDX file or a .npy/.npz file"
        )
    path = path.resolve()
    if path.is_file():
        _file_loader(path)  # raises on a file type that cannot hold images
    return path


# ------------------------------------------------------------------------------------------------------------
# array sources: IDX, npy/npz, torchvision


def _load_file(path: Path) -> NativeImages:
    """Dispatches a single file on its name."""
    return _file_loader(path)(path)


def _file_loader(path: Path) -> Callable[[Path], NativeImages]:
    """The loader of a single file, chosen by its name; raises PolemosError for names that hold no images."""
    name = path.name.removesuffix(".gz").removesuffix(".GZ")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _load_npy
    if suffix == ".npz":
        return _load_npz
    if _IDX_IMAGES_NAME.search(name):
        return _load_idx
    if _IDX_LABELS_NAME.search(name):
        raise PolemosError(
            f"{str(path)!r} is an IDX labels file; pass the images file instead (the name with 'idx3', "
            "e.g. train-images-idx3-ubyte.gz); its labels are found next to it"
        )
    if suffix in IMAGE_EXTENSIONS:
        raise PolemosError(f"{str(path)!r} is a single image; pass the folder that contains the images")
    raise PolemosError(
        f"cannot read {str(path)!r}: unknown file type {path.suffix or '(no extension)'!r}; pass {_VALID_SOURCES}"
    )


def _read_maybe_gzip(path: Path) -> bytes:
    """The bytes of ``path``, gunzipped when it starts with the gzip magic bytes."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(2)
        if head == b"\x1f\x8b":
            with gzip.open(path, "rb") as unzipped:
                return unzipped.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise PolemosError(f"cannot read {str(path)!r} ({error}); the file is damaged, download it again") from None


def _parse_idx(path: Path, expected_dims: int) -> np.ndarray:
    """Parses an unsigned-byte IDX file: 0x00 0x00, type 0x08, dim count, big-endian uint32 sizes, bytes."""
    payload = _read_maybe_gzip(path)
    fix = "the file is corrupt or not an IDX file; download it again"
    if len(payload) < 4 or payload[0] != 0 or payload[1] != 0:
        raise PolemosError(f"{str(path)!r} has no IDX header (magic 0x0000080{expected_dims}); {fix}")
    type_code, dims = payload[2], payload[3]
    if type_code != _IDX_UBYTE_CODE or dims != expected_dims:
        raise PolemosError(
            f"{str(path)!r} has IDX magic 0x0000{type_code:02x}{dims:02x}, expected 0x0000080{expected_dims} "
            f"(unsigned bytes, {expected_dims}-d); {fix}"
        )
    header_size = 4 + 4 * dims
    if len(payload) < header_size:
        raise PolemosError(f"{str(path)!r} ends inside its IDX header; {fix}")
    shape = tuple(int(size) for size in np.frombuffer(payload, dtype=">u4", count=dims, offset=4))
    expected_bytes = header_size + math.prod(shape)  # Python ints: a damaged header cannot overflow
    if len(payload) != expected_bytes:
        raise PolemosError(
            f"{str(path)!r} holds {len(payload)} bytes but its IDX header {shape} implies {expected_bytes}; {fix}"
        )
    return np.frombuffer(payload, dtype=np.uint8, offset=header_size).reshape(shape)


def _idx_labels_path(images_path: Path) -> Path | None:
    """The sibling labels file: ``idx3`` -> ``idx1``, ``images`` -> ``labels`` in the name, gzipped or not."""
    stem = images_path.name.removesuffix(".gz")
    stem = re.sub("idx3", "idx1", stem, flags=re.IGNORECASE)
    stem = stem.replace("images", "labels").replace("IMAGES", "LABELS")
    for name in (stem + ".gz", stem):
        candidate = images_path.with_name(name)
        if candidate.is_file():
            return candidate
    return None


def _load_idx(path: Path) -> NativeImages:
    images = _parse_idx(path, expected_dims=3)
    labels_path = _idx_labels_path(path)
    labels = None
    if labels_path is None:
        logger.info("no IDX labels file next to %s; loading it unlabelled", path)
    else:
        labels = _parse_idx(labels_path, expected_dims=1)
        if labels.shape[0] != images.shape[0]:
            raise PolemosError(
                f"{str(labels_path)!r} has {labels.shape[0]} labels but {str(path)!r} has {images.shape[0]} "
                "images; use the labels file of the same split"
            )
    return NativeImages(images[:, None], labels, (), str(path))


def _file_head(path: Path, size: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as error:
        raise PolemosError(f"cannot read {str(path)!r} ({error.strerror or error}); check its permissions") from None


def _numpy_reason(error: Exception) -> str:
    """The first line of a numpy/zip error, without numpy's advice to unpickle (a bad file is not pickled data)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "allow_pickle" in text or "pickled" in text:
        return "it holds Python objects, not a numeric array"
    return text[:160]


def _load_npy(path: Path) -> NativeImages:
    if not _file_head(path, len(_NPY_MAGIC)).startswith(_NPY_MAGIC):
        raise PolemosError(
            f"{str(path)!r} is not a valid .npy file (no NumPy header); save the images again with numpy.save"
        )
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise PolemosError(
            f"cannot read {str(path)!r} as a .npy array ({_numpy_reason(error)}); save the images again with numpy.save"
        ) from None
    return NativeImages(_array_to_uint8_nchw(array, str(path)), None, (), str(path))


def _load_npz(path: Path) -> NativeImages:
    fix = "save the images again with numpy.savez"
    if not _file_head(path, len(_ZIP_MAGIC)).startswith(_ZIP_MAGIC):
        raise PolemosError(f"{str(path)!r} is not a valid .npz archive (not a zip file); {fix}")
    try:
        return _read_npz(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise PolemosError(
            f"cannot read {str(path)!r} as a numpy .npz archive ({_numpy_reason(error)}; truncated?); {fix}"
        ) from None


def _read_npz(path: Path) -> NativeImages:
    archive = np.load(path, allow_pickle=False)
    with archive:
        keys = list(archive.files)
        image_key = next((key for key in _NPZ_IMAGE_KEYS if key in keys), None)
        if image_key is None:
            raise PolemosError(
                f"{str(path)!r} has no images array (keys: {', '.join(keys) or 'none'}); "
                f"save the images under one of the keys {', '.join(_NPZ_IMAGE_KEYS)}"
            )
        pixels = _array_to_uint8_nchw(archive[image_key], f"{path}[{image_key}]")
        label_key = next((key for key in _NPZ_LABEL_KEYS if key in keys), None)
        labels = None if label_key is None else archive[label_key]
    if labels is not None:
        if labels.ndim == 2 and labels.shape[1] > 1:  # one-hot rows -> class ids
            labels = labels.argmax(axis=1)
        if labels.ndim != 1 or labels.shape[0] != pixels.shape[0]:
            raise PolemosError(
                f"{str(path)!r}[{label_key}] has shape {labels.shape} but there are {pixels.shape[0]} "
                "images; save one label per image"
            )
    return NativeImages(pixels, labels, (), str(path))


def _array_to_uint8_nchw(array: np.ndarray, where: str) -> np.ndarray:
    """Converts an image array to ``uint8 (N, C, H, W)``, detecting the layout and the value range."""
    if array.dtype.kind not in "biuf":
        raise PolemosError(f"{where} has dtype {array.dtype}; save the images as uint8 or float numbers")
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4:
        channels_first = array.shape[1] in (1, 3, 4)
        channels_last = array.shape[3] in (1, 3, 4)
        if channels_last and not channels_first:
            array = array.transpose(0, 3, 1, 2)
        elif not channels_first:
            raise PolemosError(
                f"{where} has shape {array.shape} with no channel axis of size 1, 3 or 4; "
                "save it as (N, H, W), (N, H, W, C) or (N, C, H, W)"
            )
    else:
        raise PolemosError(f"{where} has shape {array.shape}; save images as (N, H, W), (N, H, W, C) or (N, C, H, W)")
    if array.shape[0] == 0:
        raise PolemosError(f"{where} holds no images; pass a non-empty array")
    if array.dtype.kind in "iu" and array.size and int(array.max()) <= 1:
        # binary masks saved as integers train as nearly black images: the bool path scales them, this cannot know
        logger.warning(
            "note: %s holds only the integers 0 and 1, read as pixel values of 0..255 (nearly black); for binary "
            "images save a bool array or multiply by 255",
            where,
        )
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    if array.dtype.kind == "b":
        return np.ascontiguousarray(array.astype(np.uint8) * 255)
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            bad = int(array.size - np.count_nonzero(finite))
            raise PolemosError(
                f"{where} has {bad} NaN or infinite values; replace them (e.g. numpy.nan_to_num) before loading"
            )
    low, high = float(array.min()), float(array.max())
    tolerance = 1e-3
    if array.dtype.kind in "iu" and low >= 0 and high <= 255:
        scaled = array.astype(np.float64)
    elif array.dtype.kind == "f" and low >= -tolerance and high <= 1 + tolerance:
        scaled = array.astype(np.float64) * 255.0  # [0, 1] -> [0, 255]
    elif array.dtype.kind == "f" and low >= -1 - tolerance and high <= 1 + tolerance:
        scaled = (array.astype(np.float64) + 1.0) * 127.5  # [-1, 1] -> [0, 255]
    elif array.dtype.kind == "f" and low >= 0 and high <= 255:
        scaled = array.astype(np.float64)
    else:
        raise PolemosError(
            f"{where} has values in [{low:g}, {high:g}]; save images as uint8 0..255 or floats in [0, 1] or [-1, 1]"
        )
    return np.ascontiguousarray(np.rint(np.clip(scaled, 0.0, 255.0)).astype(np.uint8))


def _load_torchvision(class_name: str, root: Path | None) -> NativeImages | _FileImages:
    """A torchvision dataset read from ``root`` (train split, ``download=False``)."""
    try:
        import torchvision.datasets as tv_datasets
    except ImportError:
        raise PolemosError(
            f"torchvision:{class_name} needs torchvision, which is not installed; run pip install 'polemos[vision]'"
        ) from None
    dataset_class = getattr(tv_datasets, class_name, None)
    if not inspect.isclass(dataset_class):
        exported = getattr(tv_datasets, "__all__", [])
        choices = ", ".join(sorted(name for name in exported if name[:1].isupper()))
        raise PolemosError(
            f"torchvision has no dataset {class_name!r}; use torchvision:<ClassName> with one of: {choices}"
        )
    if root is None:
        raise PolemosError(
            f"torchvision:{class_name} needs the folder holding it; polemos never downloads, set data.root=FOLDER"
        )
    parameters = inspect.signature(dataset_class).parameters
    options: dict[str, object] = {"download": False} if "download" in parameters else {}
    if "train" in parameters:
        options["train"] = True
    elif "split" in parameters:
        options["split"] = "train"
    try:
        dataset = dataset_class(root=str(root), **options)
    except (RuntimeError, FileNotFoundError, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PolemosError(
            f"torchvision:{class_name} not found under {str(root)!r} ({reason}); polemos never downloads: "
            "put the dataset there and set data.root=FOLDER"
        ) from None
    source = f"torchvision:{class_name} ({root})"
    raw_classes = getattr(dataset, "classes", None)
    class_names = tuple(str(name) for name in raw_classes) if raw_classes is not None else ()
    labels = next((getattr(dataset, attr) for attr in ("targets", "labels") if hasattr(dataset, attr)), None)
    pixels = getattr(dataset, "data", None)
    if pixels is not None and not isinstance(pixels, list) and labels is not None:
        array = np.asarray(pixels.numpy() if isinstance(pixels, torch.Tensor) else pixels)
        if array.ndim in (3, 4) and array.dtype == np.uint8:
            label_array = np.asarray(labels.numpy() if isinstance(labels, torch.Tensor) else labels)
            return NativeImages(_array_to_uint8_nchw(array, source), label_array, class_names, source)

    # any other dataset: decode its PIL images one by one
    def open_item(index: int) -> Image.Image:
        return dataset[index][0]

    if labels is None:
        try:
            labels = [int(dataset[index][1]) for index in range(len(dataset))]
        except (TypeError, ValueError, RuntimeError):  # targets that are not one class id (e.g. attributes)
            logger.info("%s has no single class id per image; loading it unlabelled", source)
    return _FileImages(
        openers=[lambda index=index: open_item(index) for index in range(len(dataset))],
        names=[f"{source}[{index}]" for index in range(len(dataset))],
        labels=None if labels is None else np.asarray(labels),
        class_names=class_names,
        source=source,
        owns_images=False,
    )


# ------------------------------------------------------------------------------------------------------------
# folders and other sources of PIL images


@dataclass(frozen=True, eq=False)
class _FileImages:
    """Images opened one at a time (folders, torchvision datasets without an array)."""

    openers: Sequence[Callable[[], Image.Image]]  # each returns a (lazily decoded) PIL image
    names: Sequence[str]  # what each opener reads, for warnings
    labels: np.ndarray | None  # raw labels, one per opener, or None
    class_names: tuple[str, ...]
    source: str
    owns_images: bool = True  # close each image after use (files); False when the images belong to a dataset


def _find_image_files(folder: Path, skip_unreadable: bool = False) -> list[Path]:
    """Image files under ``folder`` (sorted, recursive, following links once, hidden entries skipped).

    Raises:
        PolemosError: When ``folder`` or a sub-folder cannot be listed (permissions), unless ``skip_unreadable``
            (then a warning names them).
    """
    files: list[Path] = []
    visited: set[str] = set()
    unlisted: list[str] = []  # os.walk skipped these folders without a word
    for directory, subdirectories, filenames in os.walk(
        folder, followlinks=True, onerror=lambda error: unlisted.append(str(error.filename))
    ):
        real = os.path.realpath(directory)
        if real in visited:  # a symlink loop or a folder linked twice
            subdirectories.clear()
            continue
        visited.add(real)
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
        for filename in filenames:
            if not filename.startswith(".") and Path(filename).suffix.lower() in IMAGE_EXTENSIONS:
                files.append(Path(directory, filename))
    if unlisted and (not skip_unreadable or unlisted[0] == str(folder)):
        shown = ", ".join(repr(name) for name in unlisted[:3]) + (", ..." if len(unlisted) > 3 else "")
        fix = "check their permissions" + ("" if unlisted[0] == str(folder) else ", or set data.skip_unreadable=true")
        raise PolemosError(f"cannot read folder(s) {shown} under the data (permission denied); {fix}")
    if unlisted:
        logger.warning("skipped %d folder(s) that cannot be read: %s", len(unlisted), ", ".join(unlisted[:3]))
    return sorted(files)


def _idx_in_folder(folder: Path) -> Path | None:
    """The IDX images file to read when a folder holds no images but IDX files (e.g. the raw MNIST folder)."""
    candidates = sorted(
        path for path in folder.iterdir() if path.is_file() and _IDX_IMAGES_NAME.search(path.name.removesuffix(".gz"))
    )
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    training = [path for path in candidates if path.name.lower().startswith("train")]
    if len(training) == 1:
        logger.info("%s holds several IDX files; loading the training split %s", folder, training[0].name)
        return training[0]
    raise PolemosError(
        f"{str(folder)!r} holds several IDX image files ({', '.join(path.name for path in candidates)}); "
        "pass the path of one of them"
    )


def _load_folder(
    folder: Path, resolution: int | None, channels: int | None, progress: bool, skip_unreadable: bool
) -> ImageData:
    files = _find_image_files(folder, skip_unreadable)
    if not files:
        idx_path = _idx_in_folder(folder)
        if idx_path is not None:
            return _finish_native(_load_idx(idx_path), resolution, channels, progress, skip_unreadable)
        raise PolemosError(
            f"no image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) found in {str(folder)!r} or its "
            f"sub-folders; pass a folder that contains images, or {_VALID_SOURCES}"
        )
    relative_parts = [file.relative_to(folder).parts for file in files]
    labelled = all(len(parts) >= 2 for parts in relative_parts)
    labels = np.asarray([parts[0] for parts in relative_parts]) if labelled else None
    file_images = _FileImages(
        openers=[lambda file=file: Image.open(file) for file in files],
        names=[str(file) for file in files],
        labels=labels,
        class_names=(),
        source=str(folder),
    )
    return _finish_files(file_images, resolution, channels, progress, skip_unreadable)


def _is_greyscale(image: Image.Image) -> bool:
    """Whether an image holds grey values only, judged from its mode (and palette) without decoding it."""
    if image.mode in _GREYSCALE_MODES:
        return True
    if image.mode in ("P", "PA"):
        palette = image.getpalette(rawmode="RGB") or []
        entries = np.asarray(palette, dtype=np.int32).reshape(-1, 3)
        return bool((entries[:, 0] == entries[:, 1]).all() and (entries[:, 1] == entries[:, 2]).all())
    return False


def _convert_mode(image: Image.Image, channels: int) -> Image.Image:
    """Converts to ``L`` or ``RGB``: 16-bit grey scaled to 8 bits, transparency composited onto white."""
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        # 16-bit grey 0..65535 -> 0..255 (x / 257) whatever the image's own brightest pixel (a dark 16-bit image
        # was kept as 8-bit values: brighter than its neighbours); 8-bit values in a 32-bit mode are kept
        sixteen_bit = image.mode.startswith("I;16") or values.max(initial=0.0) > 255
        values = values / 257.0 if sixteen_bit else values
        image = Image.fromarray(np.rint(np.clip(values, 0, 255)).astype(np.uint8), mode="L")
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*ALPHA_BACKGROUND, 255))
        image = Image.alpha_composite(background, rgba)
    target = "L" if channels == 1 else "RGB"
    return image if image.mode == target else image.convert(target)


def _fit_square(image: Image.Image, resolution: int) -> Image.Image:
    """Resizes the shorter side to ``resolution`` and centre-crops the longer one, in one resampling pass."""
    width, height = image.size
    if width == height == resolution:
        return image
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    resample = Image.Resampling.LANCZOS if side > resolution else Image.Resampling.BICUBIC
    return image.resize((resolution, resolution), resample=resample, box=(left, top, left + side, top + side))


@contextlib.contextmanager
def _opened(opener: Callable[[], Image.Image], close: bool) -> Iterator[Image.Image]:
    """Opens an image, closing it afterwards only when it is ours (an image file, not a dataset's object)."""
    image = opener()
    try:
        yield image
    finally:
        if close:
            image.close()


def _native_resolution(sides: Sequence[int], where: str) -> int:
    """The native side rounded up to the next power of two, clamped to [8, 256]."""
    native = int(statistics.median_low(sides))
    rounded = max(SUPPORTED_RESOLUTIONS[0], 1 << max(native - 1, 0).bit_length())
    if native < SUPPORTED_RESOLUTIONS[0]:
        # a 1x1 or 4x4 picture enlarged to 8x8 is mostly interpolation; say so rather than train on it silently
        logger.warning(
            "note: images in %s are %d px; enlarged to %dx%d, the smallest supported resolution — %s",
            where,
            native,
            rounded,
            rounded,
            "check that these are the intended images",
        )
    if rounded > SUPPORTED_RESOLUTIONS[-1]:
        logger.info("images in %s are %d px; using resolution %d, the largest supported", where, native, rounded)
        return SUPPORTED_RESOLUTIONS[-1]
    return rounded


def _note_mixed_sizes(sizes: Sequence[tuple[int, int]], resolution: int, where: str) -> None:
    """One warning line when images of several sizes are all brought to ``resolution`` (a silent resize hides it)."""
    counts = Counter(sizes)
    if len(counts) < 2:
        return
    shown = ", ".join(f"{number} at {width}x{height}" for (width, height), number in counts.most_common(3))
    others = f" and {len(counts) - 3} more sizes" if len(counts) > 3 else ""
    logger.warning(
        "note: images in %s have mixed sizes (%s%s); all were resized to %dx%d — set %s to choose the size",
        where,
        shown,
        others,
        resolution,
        resolution,
        _RESOLUTION_HINT,
    )


def _finish_files(
    file_images: _FileImages,
    resolution: int | None,
    channels: int | None,
    progress: bool,
    skip_unreadable: bool = False,
) -> ImageData:
    """Decodes, converts and resizes images opened one at a time; unreadable ones fail (or are skipped)."""
    count = len(file_images.openers)
    show_progress = progress and count > PROGRESS_MIN_FILES
    # pass 1: sizes and modes from the headers, without decoding the pixels
    readable: list[int] = []
    sizes: list[tuple[int, int]] = []
    greyscale_count = colour_count = 0
    unreadable: list[str] = []
    reason = ""  # why the first unreadable file failed
    with progress_bar(count, "scanning images", show_progress) as advance:
        for index, opener in enumerate(file_images.openers):
            try:
                with _opened(opener, file_images.owns_images) as image:
                    size = image.size
                    greyscale = _is_greyscale(image)
            except Exception as error:  # any decoder failure means an unreadable file
                unreadable.append(file_images.names[index])
                reason = reason or _decoder_reason(error)
            else:
                if min(size) > 0:
                    readable.append(index)
                    sizes.append(size)
                    greyscale_count += greyscale
                    colour_count += not greyscale
                else:
                    unreadable.append(file_images.names[index])
            advance()
    where = file_images.source
    if not readable:
        raise PolemosError(
            f"none of the {count} image files in {where!r} could be read; check that they are valid images"
        )
    if unreadable and not skip_unreadable:  # fail before the long decoding pass
        raise UnreadableImagesError(where, unreadable, reason=reason)
    if channels is None:
        if greyscale_count and colour_count:
            raise MixedChannelsError(where, greyscale_count, colour_count)
        channels = 1 if greyscale_count else 3
    if resolution is None:
        resolution = _native_resolution([min(size) for size in sizes], where)
        _note_mixed_sizes(sizes, resolution, where)

    # pass 2: decode, convert and resize into one preallocated array
    pixels = np.empty((len(readable), channels, resolution, resolution), dtype=np.uint8)
    kept: list[int] = []
    with progress_bar(len(readable), "loading images", show_progress) as advance:
        for index in readable:
            try:
                with _opened(file_images.openers[index], file_images.owns_images) as image:
                    image.draft(None, (resolution, resolution))  # JPEG only: decode at a reduced scale, >= R
                    upright = ImageOps.exif_transpose(image)
                    square = _fit_square(_convert_mode(upright, channels), resolution)
                    array = np.asarray(square, dtype=np.uint8)
            except Exception as error:  # any decoder failure means an unreadable file (a header can decode, pixels not)
                unreadable.append(file_images.names[index])
                reason = reason or _decoder_reason(error)
            else:
                row = len(kept)
                pixels[row] = array[None] if channels == 1 else array.transpose(2, 0, 1)
                kept.append(index)
            advance()
    if unreadable and not skip_unreadable:
        raise UnreadableImagesError(where, unreadable, reason=reason)
    if unreadable:
        logger.warning("skipped %d unreadable image file(s) in %s, e.g. %s", len(unreadable), where, unreadable[0])
    if not kept:
        raise PolemosError(
            f"none of the {count} image files in {where!r} could be read; check that they are valid images"
        )
    pixels = pixels[: len(kept)]
    labels = None if file_images.labels is None else file_images.labels[np.asarray(kept)]
    label_ids, class_names = _encode_labels(labels, file_images.class_names, len(kept))
    logger.info("loaded %d images of %dx%d from %s", len(kept), resolution, resolution, where)
    return ImageData(
        images=torch.from_numpy(np.ascontiguousarray(pixels)),
        labels=label_ids,
        class_names=class_names,
        source=where,
        skipped=len(unreadable),
    )


# ------------------------------------------------------------------------------------------------------------
# the common end: labels, channels, resolution


def _encode_labels(
    labels: np.ndarray | None, class_names: tuple[str, ...], count: int
) -> tuple[torch.Tensor, tuple[str, ...]]:
    """Maps raw labels to ids ``0..K-1`` in sorted order of their unique values, with a name for each."""
    if labels is None:
        return torch.zeros(count, dtype=torch.int64), ()
    labels = np.asarray(labels)
    if labels.dtype.kind == "f":
        if not np.isfinite(labels).all() or not np.equal(np.mod(labels, 1), 0).all():
            raise PolemosError("labels must be whole numbers or strings; save integer class ids")
        labels = labels.astype(np.int64)
    unique, ids = np.unique(labels, return_inverse=True)
    integer_ids = labels.dtype.kind in "iub"
    if class_names and integer_ids and unique.min() >= 0 and unique.max() < len(class_names):
        # the dataset names its classes by id: keep the names of the ids present
        names = tuple(class_names[int(value)] for value in unique)
    else:
        names = tuple(str(value) for value in unique)
    return torch.from_numpy(ids.reshape(-1).astype(np.int64)), names


def _convert_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    """Converts a ``uint8 (N, C, H, W)`` array with C in {1, 3, 4} to ``channels`` (1 or 3)."""
    if pixels.shape[1] == 4:
        # straight alpha composited onto the background: rgb * a + background * (1 - a)
        alpha = pixels[:, 3:4].astype(np.float32) / 255.0
        background = np.asarray(ALPHA_BACKGROUND, dtype=np.float32).reshape(1, 3, 1, 1)
        blended = pixels[:, :3].astype(np.float32) * alpha + background * (1.0 - alpha)
        pixels = np.rint(blended).astype(np.uint8)
    if pixels.shape[1] == channels:
        return pixels
    if channels == 3:
        return np.repeat(pixels, 3, axis=1)
    # ITU-R 601-2 luma in 16-bit fixed point, as Pillow computes it: (19595 R + 38470 G + 7471 B + 2^15) >> 16
    red, green, blue = (pixels[:, index].astype(np.uint32) for index in range(3))
    luma = (red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16
    return luma.astype(np.uint8)[:, None]


def _finish_native(
    native: NativeImages | _FileImages,
    resolution: int | None,
    channels: int | None,
    progress: bool,
    skip_unreadable: bool = False,
) -> ImageData:
    """Converts channels, resizes to a square power-of-two side and encodes the labels."""
    if isinstance(native, _FileImages):
        return _finish_files(native, resolution, channels, progress, skip_unreadable)
    pixels = native.pixels
    if pixels.shape[0] == 0:
        raise PolemosError(f"{native.source!r} holds no images; pass a non-empty dataset")
    if min(pixels.shape[2:]) == 0:  # nothing to resize: training would run on blank images
        raise PolemosError(
            f"{native.source!r} holds images of {pixels.shape[2]}x{pixels.shape[3]} pixels; "
            "save images at least 1 pixel high and wide"
        )
    if channels is None:
        channels = 1 if pixels.shape[1] == 1 else 3
    pixels = _convert_channels(pixels, channels)
    height, width = pixels.shape[2:]
    if resolution is None:
        resolution = _native_resolution([min(height, width)], native.source)
    if (height, width) != (resolution, resolution):
        resized = np.empty((pixels.shape[0], channels, resolution, resolution), dtype=np.uint8)
        for index in range(pixels.shape[0]):
            image = Image.fromarray(pixels[index, 0] if channels == 1 else pixels[index].transpose(1, 2, 0))
            square = np.asarray(_fit_square(image, resolution), dtype=np.uint8)
            resized[index] = square[None] if channels == 1 else square.transpose(2, 0, 1)
        pixels = resized
    label_ids, class_names = _encode_labels(native.labels, native.class_names, pixels.shape[0])
    return ImageData(
        images=torch.from_numpy(np.require(pixels, requirements=("C", "W"))),  # copied when read-only
        labels=label_ids,
        class_names=class_names,
        source=native.source,
        skipped=0,
    )


def _resolutions_text() -> str:
    return ", ".join(str(value) for value in SUPPORTED_RESOLUTIONS)
