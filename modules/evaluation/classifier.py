"""The digit classifier that judges generated images: trained once, cached.

:func:`pretrained_classifier` gives the small :class:`~modules.networks.classifier.DigitClassifier`
of a :class:`ClassifierRecipe` and its held-out accuracy, from the model cache or
trained right there.  The lessons' quality gates ask it which digit a sample shows
(:func:`classify`, :func:`recognised_share`); lesson 12.1.7 takes its penultimate
layer as features (:func:`classifier_features`).

Introduced in lesson 12.1.2 (DCGAN).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from modules.data.images import ImageDataset, held_out_split
from modules.game.runs import cached_runs
from modules.game.runtime import seed_everything, torch_threads
from modules.networks.classifier import DigitClassifier
from modules.storage.checkpoints import CheckpointError, load_checkpoint, load_state, save_checkpoint

__all__ = ["ClassifierRecipe", "train_classifier", "pretrained_classifier", "held_out_images", "classify", "class_probabilities", "classify_with_confidence", "recognised_share", "classifier_features"]


@dataclass(frozen=True)
class ClassifierRecipe:
    """Settings of the digit classifier that judges generated images."""

    dataset: str = "mnist-5k"
    image_size: int = 32
    channels: int = 1
    images_seen: int = 0  # 0: the dataset's own budget, IMAGES_SEEN (set when the recipe is made)
    batch_size: int = 64
    lr: float = 2e-3
    test_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.images_seen == 0:  # the dataset's budget, part of the recipe (and its cache key)
            object.__setattr__(self, "images_seen", IMAGES_SEEN.get(self.dataset, DEFAULT_IMAGES_SEEN))


#: How many training images the judge of each dataset sees (``ClassifierRecipe.images_seen``):
#: 15 passes over mnist-5k's 4,000 digits make it about 97-98% accurate on its held-out
#: digits (6 passes: about 96%); 17 passes over scikit-learn's 1,437; half a pass over MNIST.
IMAGES_SEEN = {"mnist-5k": 60000}
DEFAULT_IMAGES_SEEN = 24000


def train_classifier(recipe: ClassifierRecipe, train: ImageDataset, test: ImageDataset) -> tuple[DigitClassifier, float]:
    """Train :class:`~modules.networks.classifier.DigitClassifier` on ``train``; returns
    it (in eval mode) and its accuracy on the held-out ``test``."""
    seed_everything(recipe.seed)
    model = DigitClassifier(train.channels, train.num_classes, input_size=train.image_size)
    opt = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    rng = torch.Generator().manual_seed(recipe.seed)
    with torch_threads(2):
        seen = 0
        while seen < recipe.images_seen:  # whole passes over the training images
            for idx in torch.randperm(len(train), generator=rng).split(recipe.batch_size):
                seen += max(len(idx), recipe.batch_size)  # a tiny dataset counts full batches
                images, labels = train.tensors(idx)
                # small random shifts make the judge robust to off-centre generated digits
                loss = F.cross_entropy(model(_jitter(images, rng)), labels)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        model.eval()
        accuracy = (classify(model, test.tensors()[0]) == test.labels).float().mean().item()
    return model, accuracy


def _jitter(images: torch.Tensor, rng: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    dx, dy = (torch.randint(-max_shift, max_shift + 1, (2,), generator=rng)).tolist()
    return torch.roll(images, shifts=(dy, dx), dims=(2, 3))


def _resized(model: DigitClassifier, images: torch.Tensor) -> torch.Tensor:
    """``images`` on the CPU at the size ``model`` was trained on."""
    images = images.detach().cpu().float()
    if images.shape[-1] != model.input_size:
        images = F.interpolate(images, size=(model.input_size, model.input_size), mode="bilinear", align_corners=False, antialias=True)
    return images


@torch.no_grad()
def _logits(model: DigitClassifier, images: torch.Tensor, batch_size: int) -> torch.Tensor:
    model.eval()
    return torch.cat([model(chunk) for chunk in _resized(model, images).split(batch_size)])


def class_probabilities(model: DigitClassifier, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The classifier's softmax output, ``(n, classes)``, for ``images`` resized like
    :func:`classify`: what the Inception Score of lesson 12.1.7 reads."""
    return _logits(model, images, batch_size).softmax(dim=1)


def classify(model: DigitClassifier, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The predicted class of every image (model in eval mode, on the CPU); images of
    another size are resized to the size the classifier was trained on."""
    return _logits(model, images, batch_size).argmax(dim=1)


def classify_with_confidence(model: DigitClassifier, images: torch.Tensor, batch_size: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """``(classes, confidences)``: the predicted class of every image, as
    :func:`classify`, and the classifier's probability for it (the largest softmax
    output, between 1/classes and 1)."""
    probabilities = class_probabilities(model, images, batch_size)
    confidence, classes = probabilities.max(dim=1)
    return classes, confidence


@torch.no_grad()
def classifier_features(model: DigitClassifier, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The classifier's penultimate features (``(n, feature_dim)``) of ``images``,
    resized like :func:`classify`: what :func:`~modules.evaluation.feature_metrics.frechet_distance`
    compares between generated and real images."""
    model.eval()
    return torch.cat([model.features(chunk) for chunk in _resized(model, images).split(batch_size)])


def recognised_share(model: DigitClassifier, images: torch.Tensor, threshold: float = 0.9) -> float:
    """The share of ``images`` the classifier calls some class with a probability
    above ``threshold``: a simple but fallible sample-quality score for unconditional
    generators (a classifier can be confidently wrong about images unlike any it was
    trained on).  Lesson 12.1.4."""
    return (classify_with_confidence(model, images)[1] > threshold).float().mean().item()


def pretrained_classifier(recipe: ClassifierRecipe = ClassifierRecipe()) -> tuple[DigitClassifier, float]:
    """The classifier of ``recipe`` and its held-out accuracy, from the model cache or
    trained now and cached (through :func:`~modules.game.runs.cached_runs`, like the GANs)."""
    return cached_runs("classifier", [recipe], _train, _save, _load, workers=1)[0]


def held_out_images(recipe: ClassifierRecipe) -> ImageDataset:
    """The real images the judge of ``recipe`` never trained on (the held-out part of
    :func:`~modules.data.images.held_out_split`): its accuracy, and the real side of
    every comparison with generated images, come from these."""
    return held_out_split(recipe.dataset, recipe.image_size, recipe.channels, recipe.seed, recipe.test_fraction)[1]


def _train(recipe: ClassifierRecipe) -> tuple[DigitClassifier, float]:
    return train_classifier(recipe, *held_out_split(recipe.dataset, recipe.image_size, recipe.channels, recipe.seed, recipe.test_fraction))


def _save(trained: tuple[DigitClassifier, float], recipe: ClassifierRecipe, path: Path) -> None:
    model, accuracy = trained
    save_checkpoint({"model": model.state_dict(), "accuracy": accuracy, "recipe": asdict(recipe)}, path, kind="classifier")


def _load(recipe: ClassifierRecipe, path: Path) -> tuple[DigitClassifier, float] | None:
    """The classifier saved at ``path``, or ``None`` when the file is missing or unusable."""
    model = DigitClassifier(recipe.channels, 10, input_size=recipe.image_size)
    try:
        data = load_checkpoint(path, kind="classifier")
        load_state(model, data.get("model"), "classifier", path)
        accuracy = float(data["accuracy"])
    except (CheckpointError, KeyError, TypeError, ValueError):
        return None
    model.eval()
    return model, accuracy
