"""Tests for polemos.images.data: every source, the resize/crop/channel rules and the user-facing errors."""

from __future__ import annotations

import gzip
import logging
import struct
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from polemos.errors import PolemosError
from polemos.images import data as image_data
from polemos.images.data import (
    IMAGE_DATASETS,
    ImageData,
    check_resolution,
    check_source,
    from_model_range,
    load_images,
    to_model_range,
)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


# ------------------------------------------------------------------------------------------------------------
# helpers


def write_idx(path: Path, array: np.ndarray, gz: bool) -> Path:
    """Writes an unsigned-byte IDX file by hand: 0x00 0x00 0x08 ndim, big-endian uint32 sizes, raw bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if gz:
        with gzip.open(path, "wb") as handle:
            handle.write(payload)
    else:
        path.write_bytes(payload)
    return path


def solid(size: tuple[int, int], colour: tuple[int, ...] | int, mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def stripes(width: int, height: int) -> Image.Image:
    """A wide image: left quarter red, middle half green, right quarter blue (a centre crop is all green)."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 4] = RED
    pixels[:, width // 4 : width - width // 4] = GREEN
    pixels[:, width - width // 4 :] = BLUE
    return Image.fromarray(pixels)


@pytest.fixture(scope="module")
def digits() -> ImageData:
    return load_images("digits")


# ------------------------------------------------------------------------------------------------------------
# model range and resolution


def test_model_range_round_trip_is_exact_for_every_uint8_value() -> None:
    pixels = torch.arange(256, dtype=torch.uint8).reshape(1, 1, 16, 16)
    model = to_model_range(pixels)
    assert model.dtype == torch.float32
    assert model[0, 0, 0, 0].item() == -1.0
    assert model[0, 0, -1, -1].item() == 1.0
    assert model[0, 0, 0, 1].item() == pytest.approx(1 / 127.5 - 1)
    assert torch.equal(from_model_range(model), pixels)


def test_from_model_range_clamps_and_rounds() -> None:
    values = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.999, 1.0, 2.5])
    # (x + 1) * 127.5 -> 0 (clamped), 0, 63.75 -> 64, 127.5 -> 128 (half to even), 254.87 -> 255, 255, 255
    assert from_model_range(values).tolist() == [0, 0, 64, 128, 255, 255, 255]
    assert from_model_range(values).dtype == torch.uint8


def test_to_model_range_rejects_float_pixels() -> None:
    with pytest.raises(TypeError):
        to_model_range(torch.zeros(1, 1, 8, 8))


@pytest.mark.parametrize("resolution", [8, 16, 32, 64, 128, 256])
def test_check_resolution_accepts_powers_of_two(resolution: int) -> None:
    assert check_resolution(resolution) == resolution


def test_check_resolution_message_names_the_valid_values() -> None:
    with pytest.raises(PolemosError) as error:
        check_resolution(24)
    assert str(error.value) == (
        "resolution 24 is not a power of two between 8 and 256; use one of 8, 16, 32, 64, 128, 256"
    )
    for bad in (4, 512, 0, -8):
        with pytest.raises(PolemosError):
            check_resolution(bad)
    with pytest.raises(PolemosError):
        check_resolution(True)  # a bool is not a resolution


def test_load_images_rejects_bad_resolution_and_channels() -> None:
    with pytest.raises(PolemosError, match="resolution 24 is not a power of two"):
        load_images("digits", resolution=24)
    with pytest.raises(PolemosError, match="use 1 .greyscale. or 3"):
        load_images("digits", channels=2)


# ------------------------------------------------------------------------------------------------------------
# the record


def test_image_data_properties_and_validation() -> None:
    record = ImageData(
        images=torch.zeros(4, 3, 16, 16, dtype=torch.uint8),
        labels=torch.tensor([0, 1, 1, 0]),
        class_names=("a", "b"),
        source="test",
        skipped=2,
    )
    assert (len(record), record.channels, record.resolution, record.num_classes) == (4, 3, 16, 2)
    assert repr(record) == ("ImageData(source='test', n=4, channels=3, resolution=16, num_classes=2, skipped=2)")
    with pytest.raises(ValueError):
        ImageData(torch.zeros(4, 3, 16, 16), torch.zeros(4, dtype=torch.int64), (), "float images")
    with pytest.raises(ValueError):
        ImageData(torch.zeros(4, 2, 16, 16, dtype=torch.uint8), torch.zeros(4, dtype=torch.int64), (), "2ch")
    with pytest.raises(ValueError):
        ImageData(torch.zeros(4, 1, 8, 16, dtype=torch.uint8), torch.zeros(4, dtype=torch.int64), (), "4x8")
    with pytest.raises(ValueError):
        ImageData(torch.zeros(4, 1, 8, 8, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64), (), "n")


# ------------------------------------------------------------------------------------------------------------
# named datasets


def test_registry_lists_digits() -> None:
    assert "digits" in IMAGE_DATASETS.names()


def test_digits_shape_range_and_classes(digits: ImageData) -> None:
    assert digits.images.shape == (1797, 1, 8, 8)
    assert digits.images.dtype == torch.uint8
    assert digits.labels.dtype == torch.int64
    assert digits.class_names == tuple("0123456789")
    assert digits.num_classes == 10
    assert (digits.source, digits.skipped) == ("digits", 0)
    # scikit-learn's class counts for load_digits
    assert digits.labels.bincount().tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # counts 0..16 scaled by 255/16: exactly 17 grey levels, 0 and 255 included
    levels = sorted(torch.unique(digits.images).tolist())
    assert len(levels) == 17
    assert levels[:3] == [0, 16, 32] and levels[-1] == 255  # 1 -> 15.94 -> 16, 2 -> 31.9 -> 32, 16 -> 255
    # the first digit is a zero; its top-left pixel is background and its centre column is a hole
    assert digits.labels[0].item() == 0
    assert digits.images[0, 0, 0, 0].item() == 0


def test_digits_resized_and_converted_to_rgb() -> None:
    data = load_images("digits", resolution=16, channels=3)
    assert data.images.shape == (1797, 3, 16, 16)
    red, green, blue = data.images.unbind(dim=1)
    assert torch.equal(red, green) and torch.equal(green, blue)


def test_unknown_name_and_missing_path_errors() -> None:
    with pytest.raises(PolemosError) as error:
        load_images("cifar")
    message = str(error.value)
    assert "unknown image dataset 'cifar'" in message and "digits" in message
    with pytest.raises(PolemosError) as error:
        load_images("/no/such/folder/images")
    assert str(error.value) == (
        "data path '/no/such/folder/images' does not exist; pass a dataset name (digits, ...) or a path to "
        "a folder, an IDX file or a .npy/.npz file"
    )


# ------------------------------------------------------------------------------------------------------------
# torchvision (not installed here: a fake module exercises the code paths)


def test_torchvision_missing_tells_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes `import torchvision` raise ImportError
    with pytest.raises(PolemosError, match=r"pip install 'polemos\[vision\]'"):
        load_images("torchvision:CIFAR10", root="/tmp")


def _install_fake_torchvision(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeCIFAR:
        """Array-backed like torchvision's CIFAR10: NHWC uint8 data, integer targets, class names."""

        def __init__(self, root: str, train: bool = True, download: bool = False) -> None:
            assert train and not download
            if not (Path(root) / "fake-cifar").is_dir():
                raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")
            self.data = np.stack([np.full((8, 8, 3), value, dtype=np.uint8) for value in (10, 20, 30)])
            self.targets = [2, 0, 2]
            self.classes = ["plane", "car", "bird"]

    class FakeFolderDataset:
        """Item-backed: (PIL image, label) pairs of different sizes and no array attribute."""

        def __init__(self, root: str, split: str = "test", download: bool = False) -> None:
            assert split == "train" and not download
            self.items = [(solid((12, 10), (value, 0, 0)), value % 2) for value in (50, 51, 52, 53)]

        def __len__(self) -> int:
            return len(self.items)

        def __getitem__(self, index: int) -> tuple[Image.Image, int]:
            return self.items[index]

    class FakeAttributes(FakeFolderDataset):
        """Targets are attribute vectors, not class ids (like CelebA): loaded unlabelled."""

        def __getitem__(self, index: int) -> tuple[Image.Image, torch.Tensor]:
            return self.items[index][0], torch.tensor([1, 0, 1])

    datasets = types.ModuleType("torchvision.datasets")
    datasets.FakeAttributes = FakeAttributes
    datasets.FakeCIFAR = FakeCIFAR
    datasets.FakeFolderDataset = FakeFolderDataset
    datasets.__all__ = ["FakeCIFAR", "FakeFolderDataset"]
    package = types.ModuleType("torchvision")
    package.datasets = datasets
    monkeypatch.setitem(sys.modules, "torchvision", package)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", datasets)


def test_torchvision_dataset_read_from_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _install_fake_torchvision(monkeypatch)
    (tmp_path / "fake-cifar").mkdir()
    data = load_images("torchvision:FakeCIFAR", root=tmp_path)
    assert data.images.shape == (3, 3, 8, 8)
    assert data.images[:, 0, 0, 0].tolist() == [10, 20, 30]
    # the classes present (ids 0 and 2) keep the dataset's names, re-numbered 0..K-1
    assert data.class_names == ("plane", "bird")
    assert data.labels.tolist() == [1, 0, 1]

    items = load_images("torchvision:FakeFolderDataset", root=tmp_path, resolution=8)
    assert items.images.shape == (4, 3, 8, 8)
    assert items.images[:, 0, 4, 4].tolist() == [50, 51, 52, 53]
    assert items.labels.tolist() == [0, 1, 0, 1]

    attributes = load_images("torchvision:FakeAttributes", root=tmp_path, resolution=8)
    assert len(attributes) == 4 and attributes.class_names == ()


def test_torchvision_not_found_says_never_downloads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _install_fake_torchvision(monkeypatch)
    with pytest.raises(PolemosError) as error:
        load_images("torchvision:FakeCIFAR", root=tmp_path)
    assert "never downloads" in str(error.value) and "data.root=FOLDER" in str(error.value)
    with pytest.raises(PolemosError, match="data.root=FOLDER"):
        load_images("torchvision:FakeCIFAR")  # no root at all
    with pytest.raises(PolemosError, match="no dataset 'Nope'.*FakeCIFAR"):
        load_images("torchvision:Nope", root=tmp_path)


# ------------------------------------------------------------------------------------------------------------
# IDX files


def test_mnist_from_shared_data(shared_data: Path) -> None:
    data = load_images(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz", progress=False)
    assert data.images.shape == (10_000, 1, 32, 32)  # 28 rounded up to 32
    assert data.labels.bincount().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert data.class_names == tuple("0123456789")
    assert data.images.max().item() == 255 and data.images.min().item() == 0
    # the folder itself works too: it holds IDX files and no images
    assert len(load_images(shared_data / "mnist", resolution=32)) == 10_000


@pytest.mark.parametrize(("images_gz", "labels_gz"), [(True, True), (False, False), (True, False)])
def test_small_idx_files_parse_exactly(tmp_path: Path, images_gz: bool, labels_gz: bool) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(6, 8, 8), dtype=np.uint8)
    raw_labels = np.array([3, 1, 3, 0, 1, 3], dtype=np.uint8)
    images_path = write_idx(tmp_path / ("train-images-idx3-ubyte" + ".gz" * images_gz), pixels, images_gz)
    write_idx(tmp_path / ("train-labels-idx1-ubyte" + ".gz" * labels_gz), raw_labels, labels_gz)
    data = load_images(images_path)
    assert data.images.shape == (6, 1, 8, 8)
    assert np.array_equal(data.images[:, 0].numpy(), pixels)
    assert data.class_names == ("0", "1", "3")
    assert data.labels.tolist() == [2, 1, 2, 0, 1, 2]


def test_idx_without_labels_and_with_resize(tmp_path: Path) -> None:
    pixels = np.full((2, 5, 5), 200, dtype=np.uint8)
    images_path = write_idx(tmp_path / "t10k-images.idx3-ubyte", pixels, gz=False)
    data = load_images(images_path)
    assert data.images.shape == (2, 1, 8, 8)  # 5 rounded up to 8
    assert data.class_names == () and data.labels.tolist() == [0, 0]
    assert torch.all(data.images == 200)  # a constant image stays constant when enlarged


def test_idx_corrupt_header_and_size_errors(tmp_path: Path) -> None:
    wrong_magic = write_idx(tmp_path / "a-images-idx3-ubyte", np.zeros((2, 8), dtype=np.uint8), gz=False)
    with pytest.raises(PolemosError, match="magic 0x00000802, expected 0x00000803"):
        load_images(wrong_magic)
    garbage = tmp_path / "b-images-idx3-ubyte"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(PolemosError, match="no IDX header"):
        load_images(garbage)
    truncated = tmp_path / "c-images-idx3-ubyte"
    truncated.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">3I", 10, 8, 8) + bytes(100))
    with pytest.raises(PolemosError, match="implies 656"):
        load_images(truncated)
    broken_gzip = tmp_path / "d-images-idx3-ubyte.gz"
    broken_gzip.write_bytes(gzip.compress(np.random.default_rng(0).bytes(2000))[:1000])
    with pytest.raises(PolemosError, match="damaged"):
        load_images(broken_gzip)


def test_idx_label_count_mismatch_and_labels_file_passed(tmp_path: Path) -> None:
    images_path = write_idx(tmp_path / "x-images-idx3-ubyte", np.zeros((3, 8, 8), dtype=np.uint8), gz=False)
    labels_path = write_idx(tmp_path / "x-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8), gz=False)
    with pytest.raises(PolemosError, match="4 labels but .* 3 images"):
        load_images(images_path)
    with pytest.raises(PolemosError, match="IDX labels file; pass the images file"):
        load_images(labels_path)


# ------------------------------------------------------------------------------------------------------------
# image folders


def make_class_folder(root: Path) -> None:
    """cat: png 12x10, jpg 20x16, a corrupt png; dog: lossless webp 9x9, 16x8 stripes in a sub-sub-folder."""
    (root / "cat").mkdir(parents=True)
    (root / "dog" / "puppies" / "small").mkdir(parents=True)
    solid((12, 10), (200, 30, 60)).save(root / "cat" / "a.png")
    solid((20, 16), (40, 90, 160)).save(root / "cat" / "b.JPG", quality=95)
    (root / "cat" / "c.png").write_bytes(np.random.default_rng(0).bytes(300))
    solid((9, 9), (10, 220, 30)).save(root / "dog" / "d.webp", lossless=True)
    stripes(16, 8).save(root / "dog" / "puppies" / "small" / "e.png")
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    solid((8, 8), (0, 0, 0)).save(root / ".hidden" / "ignored.png")


def test_folder_with_class_subfolders(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_class_folder(tmp_path)
    with caplog.at_level(logging.WARNING, logger="polemos.images.data"):
        data = load_images(tmp_path, resolution=8, skip_unreadable=True)
    assert data.images.shape == (4, 3, 8, 8)
    assert data.skipped == 1
    assert "skipped 1 unreadable" in caplog.text and "c.png" in caplog.text
    assert data.class_names == ("cat", "dog")
    # sorted: cat/a.png, cat/b.JPG, dog/d.webp, dog/puppies/small/e.png
    assert data.labels.tolist() == [0, 0, 1, 1]
    assert data.source == str(tmp_path.resolve())
    images = data.images.numpy()
    assert (images[0].transpose(1, 2, 0) == (200, 30, 60)).all()  # lossless png: a constant colour survives
    assert np.abs(images[1].transpose(1, 2, 0).astype(int) - (40, 90, 160)).max() <= 4  # jpeg: near
    assert (images[2].transpose(1, 2, 0) == (10, 220, 30)).all()  # lossless webp
    assert (images[3].transpose(1, 2, 0) == GREEN).all()  # 16x8 stripes: the centre 8x8 crop is all green


def test_folder_native_resolution_is_rounded_up(tmp_path: Path) -> None:
    for index in range(3):
        solid((20, 20 + index), index * 50, mode="L").save(tmp_path / f"{index}.png")
    data = load_images(tmp_path)
    assert data.images.shape == (3, 1, 32, 32)  # shorter side 20 -> 32
    assert data.class_names == () and data.labels.tolist() == [0, 0, 0]
    assert data.images[:, 0, 16, 16].tolist() == [0, 50, 100]


def test_folder_of_tiny_images_is_enlarged_with_a_note(tmp_path: Path, caplog) -> None:
    solid((1, 1), (1, 2, 3)).save(tmp_path / "dot.png")
    with caplog.at_level(logging.WARNING):
        assert load_images(tmp_path).resolution == 8
    assert "are 1 px; enlarged to 8x8, the smallest supported resolution" in caplog.text
    caplog.clear()
    solid((8, 8), (1, 2, 3)).save(tmp_path / "dot.png")  # already 8 px: nothing to say
    with caplog.at_level(logging.WARNING):
        load_images(tmp_path)
    assert "enlarged" not in caplog.text


def test_folder_of_large_images_uses_256(tmp_path: Path) -> None:
    solid((300, 280), (1, 2, 3)).save(tmp_path / "big.png")
    assert load_images(tmp_path).resolution == 256


def test_folder_unlabelled_when_some_images_are_at_the_top(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    solid((8, 8), (1, 2, 3)).save(tmp_path / "top.png")
    solid((8, 8), (4, 5, 6)).save(tmp_path / "sub" / "inner.bmp")
    data = load_images(tmp_path)
    assert len(data) == 2 and data.class_names == () and data.labels.tolist() == [0, 0]


def test_folder_mixed_channels_is_an_error_and_channels_convert(tmp_path: Path) -> None:
    for index in range(2):
        solid((8, 8), 77, mode="L").save(tmp_path / f"grey{index}.png")
    for index in range(3):
        solid((8, 8), (200, 30, 60)).save(tmp_path / f"colour{index}.png")
    with pytest.raises(PolemosError) as error:
        load_images(tmp_path)
    assert str(error.value) == (
        f"mixed channel counts in {tmp_path.resolve()}: 2 greyscale and 3 colour images; "
        "set data.channels=1 or data.channels=3 to convert them all"
    )
    as_rgb = load_images(tmp_path, channels=3)
    assert as_rgb.images.shape == (5, 3, 8, 8)
    # sorted names: colour0..2, grey0..1; grey 77 becomes (77, 77, 77)
    assert (as_rgb.images[3:].numpy() == 77).all()
    as_grey = load_images(tmp_path, channels=1)
    assert as_grey.images.shape == (5, 1, 8, 8)
    # luma 0.299 * 200 + 0.587 * 30 + 0.114 * 60 = 84.25 -> 84
    assert as_grey.images[:3].unique().tolist() == [84]


def test_folder_special_modes(tmp_path: Path) -> None:
    # RGBA: transparent pixels composited onto white; grey palette counts as greyscale; 16-bit grey scaled
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[:4] = (255, 0, 0, 255)  # top half opaque red, bottom half fully transparent
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a_rgba.png")
    assert load_images(tmp_path).images[0, :, 6, 6].tolist() == [255, 255, 255]
    assert load_images(tmp_path).images[0, :, 1, 1].tolist() == [255, 0, 0]
    (tmp_path / "a_rgba.png").unlink()

    palette = Image.new("P", (8, 8), 3)
    palette.putpalette([value for level in range(256) for value in (level, level, level)])
    palette.save(tmp_path / "b_palette.png")
    sixteen = Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16))
    assert sixteen.mode.startswith("I;16")
    sixteen.save(tmp_path / "c_sixteen.png")
    solid((8, 8), 9, mode="L").save(tmp_path / "d_grey.png")
    data = load_images(tmp_path)  # no mixed-channel error: all three are greyscale
    assert data.images.shape == (3, 1, 8, 8)
    assert data.images[:, 0, 0, 0].tolist() == [3, 255, 9]


def test_folder_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no images")
    with pytest.raises(PolemosError, match="no image files .* found in"):
        load_images(empty)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.png").write_bytes(b"not a png at all")
    with pytest.raises(PolemosError, match="none of the 1 image files"):
        load_images(broken)
    single = tmp_path / "one.png"
    solid((8, 8), (0, 0, 0)).save(single)
    with pytest.raises(PolemosError, match="single image; pass the folder"):
        load_images(single)
    unknown = tmp_path / "table.csv"
    unknown.write_text("a,b\n1,2\n")
    with pytest.raises(PolemosError, match="unknown file type '.csv'"):
        load_images(unknown)
    with pytest.raises(PolemosError, match="resolution 24 is not a power of two"):
        load_images(tmp_path, resolution=24)


def test_unreadable_file_is_an_error_unless_skipping_is_asked_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for index in range(3):
        solid((8, 8), index, mode="L").save(tmp_path / f"{index}.png")
    (tmp_path / "bad.png").write_bytes(np.random.default_rng(0).bytes(200))
    with pytest.raises(image_data.UnreadableImagesError) as error:
        load_images(tmp_path)
    message = str(error.value)
    assert message.startswith(f"1 unreadable image file(s) in {tmp_path.resolve()} (")
    assert "bad.png" in message and "delete or fix them, or set data.skip_unreadable=true" in message
    assert "bad.png; the first: UnidentifiedImageError: cannot identify image file" in message  # why, not only which
    with caplog.at_level(logging.WARNING, logger="polemos.images.data"):
        data = load_images(tmp_path, skip_unreadable=True)
    assert len(data) == 3 and data.skipped == 1 and "skipped 1 unreadable" in caplog.text


def test_mixed_sizes_are_resized_with_a_notice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for index in range(4):
        side = 16 if index % 2 else 24
        solid((side, side), index, mode="L").save(tmp_path / f"{index}.png")
    with caplog.at_level(logging.WARNING, logger="polemos.images.data"):
        data = load_images(tmp_path)
    assert data.resolution == 16
    notes = [record.getMessage() for record in caplog.records]
    assert len(notes) == 1 and "2 at 24x24, 2 at 16x16" in notes[0] and "resized to 16x16" in notes[0]
    assert "data.resolution=N" in notes[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="polemos.images.data"):
        load_images(tmp_path, resolution=32)  # a chosen resolution needs no notice
    assert caplog.records == []


def test_check_source_validates_without_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert image_data.check_source("digits") is None
    monkeypatch.setitem(sys.modules, "torchvision", types.ModuleType("torchvision"))  # installed: nothing is read
    assert image_data.check_source("torchvision:MNIST") is None
    assert image_data.check_source(tmp_path) == tmp_path.resolve()
    with pytest.raises(PolemosError, match="unknown image dataset 'mnist'.*data.root=FOLDER"):
        image_data.check_source("mnist")
    (tmp_path / "table.csv").write_text("a\n")
    with pytest.raises(PolemosError, match="unknown file type"):
        image_data.check_source(tmp_path / "table.csv")


def test_folder_progress_bar_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_data, "PROGRESS_MIN_FILES", 2)
    for index in range(4):
        solid((8, 8), index, mode="L").save(tmp_path / f"{index}.png")
    data = load_images(tmp_path, progress=True)
    assert data.images[:, 0, 0, 0].tolist() == [0, 1, 2, 3]


# ------------------------------------------------------------------------------------------------------------
# numpy arrays


def test_npy_uint8_is_kept_exactly(tmp_path: Path) -> None:
    pixels = np.random.default_rng(1).integers(0, 256, size=(5, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "x.npy", pixels)
    data = load_images(tmp_path / "x.npy")
    assert data.images.shape == (5, 1, 8, 8)
    assert np.array_equal(data.images[:, 0].numpy(), pixels)
    assert data.class_names == ()


def test_npy_float_ranges_are_detected(tmp_path: Path) -> None:
    unit = np.zeros((3, 8, 8, 3), dtype=np.float32)  # channels last, [0, 1]
    unit[0], unit[1], unit[2] = 0.0, 0.5, 1.0
    np.save(tmp_path / "unit.npy", unit)
    data = load_images(tmp_path / "unit.npy")
    assert data.images.shape == (3, 3, 8, 8)
    assert data.images[:, 0, 0, 0].tolist() == [0, 128, 255]  # 0.5 * 255 = 127.5 -> 128

    signed = np.zeros((4, 3, 8, 8), dtype=np.float64)  # channels first, [-1, 1]
    signed[0], signed[1], signed[2], signed[3] = -1.0, -0.5, 0.0, 1.0
    np.save(tmp_path / "signed.npy", signed)
    data = load_images(tmp_path / "signed.npy")
    assert data.images.shape == (4, 3, 8, 8)
    assert data.images[:, 2, 3, 3].tolist() == [0, 64, 128, 255]  # (x + 1) * 127.5: 0, 63.75, 127.5, 255

    wide = np.zeros((1, 8, 16), dtype=np.float32)
    wide[:, :, 4:12] = 1.0  # bright centre band: a centre crop of the 8x16 image is all 255
    np.save(tmp_path / "wide.npy", wide)
    assert load_images(tmp_path / "wide.npy").images.unique().tolist() == [255]


def test_npy_bad_values_are_errors(tmp_path: Path) -> None:
    values = np.zeros((2, 8, 8), dtype=np.float32)
    values[0, 0, 0] = np.nan
    values[1, 2, 2] = np.inf
    np.save(tmp_path / "nan.npy", values)
    with pytest.raises(PolemosError, match="has 2 NaN or infinite values; replace them"):
        load_images(tmp_path / "nan.npy")
    np.save(tmp_path / "big.npy", np.full((2, 8, 8), 300.0))
    with pytest.raises(PolemosError, match=r"values in \[300, 300\]"):
        load_images(tmp_path / "big.npy")
    np.save(tmp_path / "five.npy", np.zeros((2, 1, 1, 8, 8), dtype=np.uint8))
    with pytest.raises(PolemosError, match="save images as"):
        load_images(tmp_path / "five.npy")
    np.save(tmp_path / "no_channels.npy", np.zeros((2, 8, 8, 8), dtype=np.uint8))
    with pytest.raises(PolemosError, match="no channel axis"):
        load_images(tmp_path / "no_channels.npy")


def test_garbage_and_truncated_numpy_files_say_save_again(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(PolemosError) as error:
        load_images(garbage)
    assert "is not a valid .npy file" in str(error.value) and "numpy.save" in str(error.value)
    assert "pickle" not in str(error.value)
    np.save(tmp_path / "good.npy", np.zeros((4, 8, 8), dtype=np.uint8))
    raw = (tmp_path / "good.npy").read_bytes()
    (tmp_path / "trunc.npy").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(PolemosError, match="cannot read .* as a .npy array .*numpy.save"):
        load_images(tmp_path / "trunc.npy")
    np.savez(tmp_path / "good.npz", x=np.zeros((40, 16, 16), dtype=np.uint8))
    raw = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(PolemosError, match=r"as a numpy .npz archive \(.*truncated\?\); save the images again"):
        load_images(tmp_path / "trunc.npz")
    (tmp_path / "garbage.npz").write_bytes(b"not a zip at all")
    with pytest.raises(PolemosError, match="is not a valid .npz archive .*numpy.savez"):
        load_images(tmp_path / "garbage.npz")


def test_npz_with_labels(tmp_path: Path) -> None:
    pixels = np.stack([np.full((8, 8), value, dtype=np.uint8) for value in (5, 6, 7)])
    np.savez(tmp_path / "d.npz", x=pixels, y=np.array([7, 5, 7]))
    data = load_images(tmp_path / "d.npz")
    assert data.images[:, 0, 0, 0].tolist() == [5, 6, 7]
    assert data.class_names == ("5", "7") and data.labels.tolist() == [1, 0, 1]

    one_hot = np.eye(4, dtype=np.float32)[[3, 0, 3]]
    np.savez(tmp_path / "e.npz", images=pixels, labels=one_hot)
    data = load_images(tmp_path / "e.npz")
    assert data.class_names == ("0", "3") and data.labels.tolist() == [1, 0, 1]

    np.savez(tmp_path / "f.npz", pixels)  # stored as arr_0, unlabelled
    assert load_images(tmp_path / "f.npz").class_names == ()

    np.savez(tmp_path / "g.npz", pictures=pixels)
    with pytest.raises(PolemosError, match="no images array .keys: pictures.*images, x, arr_0"):
        load_images(tmp_path / "g.npz")
    np.savez(tmp_path / "h.npz", images=pixels, labels=np.array([1, 2]))
    with pytest.raises(PolemosError, match="one label per image"):
        load_images(tmp_path / "h.npz")


def test_npy_rgba_is_composited_onto_white(tmp_path: Path) -> None:
    rgba = np.zeros((1, 8, 8, 4), dtype=np.uint8)
    rgba[..., :3] = (0, 0, 200)
    rgba[..., 3] = 0
    rgba[0, :4, :, 3] = 255  # top half opaque
    np.save(tmp_path / "rgba.npy", rgba)
    data = load_images(tmp_path / "rgba.npy")
    assert data.images.shape == (1, 3, 8, 8)
    assert data.images[0, :, 0, 0].tolist() == [0, 0, 200]
    assert data.images[0, :, 7, 7].tolist() == [255, 255, 255]


def test_images_without_pixels_are_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "empty-sides.npy", np.zeros((4, 0, 0), dtype=np.uint8))
    with pytest.raises(PolemosError, match="holds images of 0x0 pixels"):
        load_images(tmp_path / "empty-sides.npy")
    write_idx(tmp_path / "zero-images-idx3-ubyte", np.zeros((5, 0, 0), dtype=np.uint8), gz=False)
    with pytest.raises(PolemosError, match="holds images of 0x0 pixels"):
        load_images(tmp_path / "zero-images-idx3-ubyte")


def test_an_idx_header_of_huge_sizes_names_the_size_it_implies(tmp_path: Path) -> None:
    path = tmp_path / "huge-images-idx3-ubyte"
    path.write_bytes(struct.pack(">BBBBIII", 0, 0, 8, 3, 4_000_000_000, 4_000_000_000, 8))
    with pytest.raises(PolemosError, match="implies 128000000000000000016;"):  # not an int64 overflow
        load_images(path)


def test_check_source_refuses_torchvision_sources_without_torchvision(monkeypatch: pytest.MonkeyPatch) -> None:
    # `train --dry-run --data torchvision:MNIST` passed, and only the real run said torchvision was missing
    monkeypatch.setitem(sys.modules, "torchvision", None)
    with pytest.raises(PolemosError, match=r"torchvision:MNIST needs torchvision.*pip install 'polemos\[vision\]'"):
        check_source("torchvision:MNIST")


def test_16_bit_images_are_scaled_by_their_bit_depth_not_their_brightest_pixel(tmp_path: Path) -> None:
    for name, value in (("dark.png", 200), ("bright.png", 51400)):
        Image.fromarray(np.full((8, 8), value, dtype=np.uint16)).save(tmp_path / name)
    images = load_images(tmp_path, progress=False)
    by_name = dict(zip(["bright.png", "dark.png"], images.images[:, 0, 0, 0].tolist(), strict=True))
    # 200 / 257 rounds to 1; the dark image was kept at 200, as bright as the bright one
    assert by_name == {"dark.png": 1, "bright.png": 200}


def test_integer_arrays_of_zeros_and_ones_get_a_note(tmp_path: Path, caplog) -> None:
    masks = (np.random.default_rng(0).random((4, 8, 8)) > 0.5).astype(np.uint8)
    np.save(tmp_path / "masks.npy", masks)
    with caplog.at_level(logging.WARNING, logger="polemos.images.data"):
        data = load_images(tmp_path / "masks.npy", progress=False)
    assert int(data.images.max()) == 1  # read as given
    assert "holds only the integers 0 and 1" in caplog.text and "save a bool array or multiply by 255" in caplog.text
    caplog.clear()
    np.save(tmp_path / "masks.npy", masks.astype(bool))
    with caplog.at_level(logging.WARNING, logger="polemos.images.data"):
        assert int(load_images(tmp_path / "masks.npy", progress=False).images.max()) == 255
    assert "integers 0 and 1" not in caplog.text


def test_folders_that_cannot_be_listed_are_named_not_skipped(tmp_path: Path, monkeypatch, caplog) -> None:
    import os

    for folder in ("a", "locked"):
        (tmp_path / folder).mkdir()
        Image.new("L", (8, 8)).save(tmp_path / folder / "x.png")
    listing = os.scandir

    def scandir(path="."):
        if Path(path).name == "locked":  # as chmod 000 does for a user who is not root
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    # os.walk dropped the folder's images without a word
    with pytest.raises(PolemosError, match=r"cannot read folder\(s\) '.*locked' under the data \(permission denied\)"):
        load_images(tmp_path, progress=False)
    with caplog.at_level(logging.WARNING, logger="polemos.images.data"):
        assert len(load_images(tmp_path, progress=False, skip_unreadable=True)) == 1
    assert "skipped 1 folder(s) that cannot be read" in caplog.text
    with pytest.raises(PolemosError, match=r"cannot read folder\(s\) '.*locked'.*; check their permissions$"):
        load_images(tmp_path / "locked", progress=False, skip_unreadable=True)  # the data folder itself


def test_a_data_path_behind_an_unreadable_folder_is_one_line(tmp_path: Path, monkeypatch) -> None:
    original = Path.exists

    def exists(path: Path, *args, **kwargs) -> bool:
        if path.parent.name == "locked":  # stat fails with EACCES as for a user who is not root
            raise PermissionError(13, "Permission denied", str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(Path, "exists", exists)
    with pytest.raises(PolemosError, match=r"cannot read data path '.*locked/x\.npy' \(permission denied\)"):
        load_images(tmp_path / "locked" / "x.npy", progress=False)  # a PermissionError traceback before


def test_an_image_too_large_to_decode_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow refuses images over twice this as bombs
    Image.new("L", (8, 8)).save(tmp_path / "small.png")
    Image.new("L", (64, 64)).save(tmp_path / "large.png")
    # a valid file was called "unreadable" with no reason
    with pytest.raises(image_data.UnreadableImagesError, match=r"the first: DecompressionBombError: Image size \(4096"):
        load_images(tmp_path, progress=False)
