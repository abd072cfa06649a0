"""FID Inception-v3: state-dict layout of the pytorch-fid file and loading plumbing (random weights)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from polemos.errors import PolemosError
from polemos.metrics.extractors import InceptionExtractor, get_extractor
from polemos.metrics.inception import FIDInceptionV3

# Key names and shapes of pt_inception-2015-12-05-6726825d.pth, read off the module structure of
# mseitzer/pytorch-fid src/pytorch_fid/inception.py (fid_inception_v3: torchvision Inception3 with
# num_classes=1008, aux_logits=False and FIDInceptionA/C/E blocks) and torchvision/models/inception.py
# (BasicConv2d = conv without bias + bn; channel counts per block).
EXPECTED_SHAPES = {
    "Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
    "Conv2d_1a_3x3.bn.running_var": (32,),
    "Conv2d_2b_3x3.conv.weight": (64, 32, 3, 3),
    "Conv2d_3b_1x1.conv.weight": (80, 64, 1, 1),
    "Conv2d_4a_3x3.conv.weight": (192, 80, 3, 3),
    "Mixed_5b.branch5x5_2.conv.weight": (64, 48, 5, 5),
    "Mixed_5b.branch_pool.conv.weight": (32, 192, 1, 1),
    "Mixed_5d.branch3x3dbl_3.bn.weight": (96,),
    "Mixed_6a.branch3x3.conv.weight": (384, 288, 3, 3),
    "Mixed_6b.branch7x7_2.conv.weight": (128, 128, 1, 7),
    "Mixed_6e.branch7x7dbl_5.conv.weight": (192, 192, 1, 7),
    "Mixed_7a.branch3x3_2.conv.weight": (320, 192, 3, 3),
    "Mixed_7a.branch7x7x3_4.conv.weight": (192, 192, 3, 3),
    "Mixed_7b.branch3x3dbl_1.conv.weight": (448, 1280, 1, 1),
    "Mixed_7c.branch3x3_2b.conv.weight": (384, 384, 3, 1),
    "Mixed_7c.branch_pool.conv.weight": (192, 2048, 1, 1),
    "Mixed_7c.branch_pool.bn.running_mean": (192,),
    "fc.weight": (1008, 2048),
    "fc.bias": (1008,),
}
# 94 BasicConv2d (5 stem + 3 x 7 A + 4 B + 4 x 10 C + 6 D + 2 x 9 E), each conv.weight + 4 bn tensors;
# plus fc.weight and fc.bias
EXPECTED_TENSORS_WITHOUT_COUNTERS = 94 * 5 + 2


@pytest.fixture(scope="module")
def random_inception_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FIDInceptionV3]:
    torch.manual_seed(0)
    network = FIDInceptionV3().eval()
    path = tmp_path_factory.mktemp("inception") / "pt_inception-random.pth"
    torch.save(network.state_dict(), path)
    return path, network


def test_state_dict_layout_matches_the_pytorch_fid_file() -> None:
    state = FIDInceptionV3().state_dict()
    for key, shape in EXPECTED_SHAPES.items():
        assert key in state, key
        assert tuple(state[key].shape) == shape, key
    assert not any(key.startswith("AuxLogits") for key in state)
    weights = [key for key in state if not key.endswith("num_batches_tracked")]
    assert len(weights) == EXPECTED_TENSORS_WITHOUT_COUNTERS


def test_random_weights_load_and_give_pool_features(
    random_inception_file: tuple[Path, FIDInceptionV3],
) -> None:
    path, network = random_inception_file
    extractor = InceptionExtractor.from_file(path)
    assert (extractor.id, extractor.dim, extractor.channels, extractor.resolution) == (
        "inception-v3-fid",
        2048,
        3,
        299,
    )
    assert extractor.hash == InceptionExtractor(network).hash
    images = torch.rand(2, 3, 16, 16) * 2 - 1
    features = extractor.features(images)
    assert features.shape == (2, 2048)
    assert torch.isfinite(features).all()
    with torch.no_grad():  # the same network applied by hand to the 299x299 bilinear resize
        expected = network(F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False))
    assert torch.allclose(features, expected, atol=1e-5)
    probabilities = extractor.probabilities(images)
    assert probabilities.shape == (2, 1008)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(2), atol=1e-5)
    grey = extractor.features(images[:, :1])
    assert torch.allclose(grey, extractor.features(images[:, :1].expand(-1, 3, -1, -1)), atol=1e-6)


def test_old_files_without_batch_counters_load(
    random_inception_file: tuple[Path, FIDInceptionV3], tmp_path: Path
) -> None:
    _, network = random_inception_file
    state = {key: value for key, value in network.state_dict().items() if not key.endswith("num_batches_tracked")}
    path = tmp_path / "old.pth"
    torch.save(state, path, _use_new_zipfile_serialization=False)  # the pre-1.6 pickle format of 2019 files
    assert get_extractor(str(path)).hash == InceptionExtractor(network).hash


def test_missing_or_foreign_files_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(PolemosError, match="pytorch-fid.*--extractor PATH"):
        InceptionExtractor.from_file(tmp_path / "pt_inception-2015-12-05-6726825d.pth")
    foreign = tmp_path / "foreign.pth"
    torch.save({"layer.weight": torch.zeros(3)}, foreign)
    with pytest.raises(PolemosError, match="not an FID Inception-v3 state dict"):
        InceptionExtractor.from_file(foreign)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\x00junk")
    with pytest.raises(PolemosError, match="cannot read"):
        get_extractor(str(junk))


class _FakeNvidiaInception(torch.nn.Module):
    """Stand-in following NVIDIA's TorchScript convention: [0, 255] input at any size, features on request.

    Features: the mean pixel of each channel, then the input height, zero-padded to 2048 values.
    """

    def forward(
        self, images: torch.Tensor, return_features: bool = False, no_output_bias: bool = False
    ) -> torch.Tensor:
        summary = torch.cat([images.mean(dim=(2, 3)), torch.full((images.shape[0], 1), float(images.shape[2]))], dim=1)
        features = F.pad(summary, (0, 2048 - 4))
        if return_features:
            return features
        return torch.softmax(features[:, :1008], dim=1)


def test_torchscript_inception_gets_0_255_images_at_their_own_size(tmp_path: Path) -> None:
    path = tmp_path / "inception-2015-12-05.pt"
    torch.jit.save(torch.jit.script(_FakeNvidiaInception()), str(path))
    extractor = get_extractor(str(path))
    assert isinstance(extractor, InceptionExtractor) and extractor.id == "inception-v3-torchscript"
    images = torch.stack([torch.full((3, 20, 20), -1.0), torch.full((3, 20, 20), 1.0)])
    features = extractor.features(images)
    assert features.shape == (2, 2048)
    assert features[:, :3].tolist() == [[0.0] * 3, [255.0] * 3]  # [-1, 1] -> [0, 255]
    assert features[:, 3].tolist() == [20.0, 20.0]  # no resizing before the module
    assert extractor.probabilities(images).shape == (2, 1008)
