"""pix2pix and CycleGAN as recipes: settings in, trained (and cached) trainers out.

Lesson 12.1.8 trains two translation GANs, each twice (pix2pix with and without its
L1 term, CycleGAN with and without its cycle term).  A recipe is a frozen dataclass
of everything that determines a run; :func:`build_pix2pix` and
:func:`build_cyclegan` make the untrained networks and trainer (the course's one
:class:`~modules.game.GANTrainer`, playing the paired or the cycle game), and
:func:`~modules.experiments.workers.trained` loads the finished runs from the model cache or
trains the missing ones side by side.

The evaluation helpers measure what the quality gates check:
:func:`held_out_l1` (pix2pix against :func:`~modules.data.translation.best_constant_l1`)
and :func:`cycle_report` (round-trip error, domain classifier, digit classifier).

Introduced in lesson 12.1.8 (Image-to-Image Translation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from modules.cli import at_least, non_negative, positive, setting
from modules.game.config import TrainConfig
from modules.game.loop import GANTrainer, build_optimizers
from modules.game.objective import Objective
from modules.game.runtime import seed_everything
from modules.game.games import Cycle, Pair, Paired
from modules.game.losses import LeastSquaresLoss, NonSaturatingLoss
from modules.game.terms import L1, CycleConsistency, Identity
from modules.data.images import DATASETS
from modules.data.translation import IMAGE_SIZES, STYLES, PairedImages, UnpairedDomains, digit_styles, paired_folder, shape_scenes
from modules.networks.translation import PatchDiscriminator, UNetGenerator, init_weights

__all__ = [
    "Pix2PixRecipe",
    "CycleGANRecipe",
    "build_pix2pix",
    "build_cyclegan",
    "no_noise",
    "translate",
    "held_out_l1",
    "DomainClassifier",
    "train_domain_classifier",
    "cycle_report",
    "translation_size",
    "unet_depth",
]


def translation_size(value: int) -> str | None:
    """Flag check (``--image-size``): a size the data and the U-Net can both handle."""
    if value not in IMAGE_SIZES:
        return "must be a power of two from 16 to 256, because the U-Net halves the image down to 1x1 and back (try 32 or 64)"
    return None


def unet_depth(image_size: int):
    """Flag check (``--depth``) for ``image_size``: the U-Net's down-sampling steps, 2 to log2(size)."""

    def check(value: int) -> str | None:
        most = max(2, int(image_size).bit_length() - 1)
        if not 2 <= value <= most:
            return f"must be from 2 to {most} for {image_size}x{image_size} images (each step halves the size)"
        return None

    return check


PATCH_LAYERS_HELP = "PatchGAN stride-2 layers (patches of 16, 34, 70, 142 pixels)"


def _check_patch_layers(d_layers: int, image_size: int) -> None:
    if 3 * 2**d_layers > image_size:  # stride-2 layers, then two 4x4 stride-1 layers: at least one logit
        raise ValueError(f"d_layers {d_layers} is too deep for {image_size}x{image_size} images: the PatchGAN would halve them to nothing")


def no_noise(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """The "noise" of a translation GAN: an empty ``(n, 0)`` tensor.  pix2pix's
    U-Net ignores ``z`` (dropout is its only randomness), so the trainer's noise
    argument carries nothing."""
    return torch.empty(n, 0)


@dataclass(frozen=True)
class Pix2PixRecipe:
    """Everything that determines a pix2pix run on :func:`~modules.data.translation.shape_scenes`.

    ``scenes`` scenes are made (seed 0), or the pairs of ``data_dir`` read (pix2pix's
    side-by-side layout, translated in ``direction``), and split into training and
    held-out pairs (``test_fraction``).  G is a :class:`~modules.networks.translation.UNetGenerator`
    (outline, 1 channel -> rendering, 3 channels) of base width ``width``; D a
    :class:`~modules.networks.translation.PatchDiscriminator` with ``d_layers``
    stride-2 layers that sees (output, input) pairs, 4 channels.  G's loss is the
    non-saturating adversarial loss plus ``l1_weight`` times the L1 error to the
    target (:class:`~modules.game.terms.L1`; 0 leaves it out).
    """

    image_size: int = setting(32, "image height and width", translation_size)
    scenes: int = setting(2000, "paired scenes to make (a fifth held out)", at_least(50))
    data_dir: str | None = setting(None, "train on a folder of side-by-side pairs (the pix2pix data sets' layout) instead")
    direction: str = setting("AtoB", "with --data-dir: translate the left half into the right (AtoB) or back (BtoA)", choices=["AtoB", "BtoA"])
    test_fraction: float = 0.2
    width: int = setting(32, "U-Net base channels", at_least(1))
    d_width: int = setting(32, "PatchGAN base channels", at_least(1))
    d_layers: int = setting(2, PATCH_LAYERS_HELP, at_least(1))
    l1_weight: float = setting(100.0, "weight of the L1 term (0: adversarial loss only)", non_negative)
    steps: int = setting(1500, "training steps", at_least(1))
    batch_size: int = setting(16, "pairs per batch", at_least(2))
    lr: float = setting(2e-4, "Adam learning rate (both players)", positive)
    seed: int = 0
    cpu_threads: int = 1

    def __post_init__(self) -> None:
        _check_patch_layers(self.d_layers, self.image_size)

    def data(self) -> tuple[PairedImages, PairedImages]:
        """``(train, held_out)`` pairs; the same for every seed of the training run.
        With ``data_dir``, the pairs come from a folder of side-by-side images in the
        layout of the pix2pix data sets (:func:`~modules.data.translation.paired_folder`)."""
        if self.data_dir is not None:
            pairs = paired_folder(self.data_dir, self.image_size, self.direction)
        else:
            pairs = shape_scenes(self.scenes, self.image_size, seed=0)
        return pairs.split(self.test_fraction, seed=0)


@dataclass(frozen=True)
class CycleGANRecipe:
    """Everything that determines a CycleGAN run on :func:`~modules.data.translation.digit_styles`.

    Two :class:`~modules.networks.translation.UNetGenerator` (3 -> 3 channels, ``depth``
    down-sampling steps, no dropout) and two
    :class:`~modules.networks.translation.PatchDiscriminator` (``d_layers`` layers); least-squares
    adversarial loss, ``cycle_weight`` and ``identity_weight`` as in
    :class:`~modules.game.games.Cycle` game, a history of ``history`` translations.
    """

    dataset: str = setting("mnist-5k", "the digits of both domains", choices=[d for d in DATASETS if d != "folder"])
    image_size: int = setting(32, "image height and width", translation_size)
    style: str = setting("inverted-thick-blue", "the style of domain B", choices=list(STYLES))
    width: int = setting(16, "U-Net base channels", at_least(1))
    depth: int = setting(2, "U-Net down-sampling steps", at_least(2))
    d_width: int = setting(16, "PatchGAN base channels", at_least(1))
    d_layers: int = setting(2, PATCH_LAYERS_HELP, at_least(1))
    cycle_weight: float = setting(10.0, "weight of the cycle term (0: adversarial loss only)", non_negative)
    identity_weight: float = setting(0.5, "identity term, as a fraction of the cycle weight", non_negative)
    history: int = setting(50, "earlier translations kept for the discriminators (0: none)", at_least(0))
    steps: int = setting(600, "training steps", at_least(1))
    batch_size: int = setting(8, "images of each domain per batch", at_least(2))
    lr: float = setting(5e-4, "Adam learning rate (all four networks)", positive)
    seed: int = 0
    cpu_threads: int = 1

    def __post_init__(self) -> None:
        if problem := unet_depth(self.image_size)(self.depth):
            raise ValueError(f"depth {problem} (got {self.depth})")
        _check_patch_layers(self.d_layers, self.image_size)

    def data(self) -> UnpairedDomains:
        return digit_styles(self.image_size, self.style, dataset=self.dataset)


def _config(recipe: Any, device: str, progress: bool, snapshot_every: int | None, samples: int) -> TrainConfig:
    return TrainConfig(
        num_epochs=recipe.steps,  # one trainer "epoch" = one D step + one G step
        batch_size=recipe.batch_size,
        seed=recipe.seed,
        device=device,
        snapshot_every=max(1, recipe.steps // 4) if snapshot_every is None else snapshot_every,
        num_snapshot_samples=samples,
        keep_weights=True,  # G at every snapshot: the figures replay training on held-out inputs
        progress=progress,
        progress_unit="step",
        cpu_threads=recipe.cpu_threads,
    )


def build_pix2pix(recipe: Pix2PixRecipe, device: str = "cpu", callbacks: Any = (), progress: bool = False, snapshot_every: int | None = None) -> GANTrainer:
    """The untrained pix2pix of ``recipe``: U-Net G, PatchGAN D on (output, input)
    pairs, the paired trainer with the L1 term.  Adam (2e-4 in the paper, beta1 0.5)."""
    seed_everything(recipe.seed)  # the initial weights come from the global generator
    train, _ = recipe.data()
    generator = UNetGenerator(train.inputs.shape[1], train.targets.shape[1], recipe.image_size, recipe.width)
    discriminator = PatchDiscriminator(train.inputs.shape[1] + train.targets.shape[1], recipe.d_width, recipe.d_layers)
    generator.apply(init_weights)
    discriminator.apply(init_weights)
    objective = Objective(NonSaturatingLoss(), terms=(L1(recipe.l1_weight),) if recipe.l1_weight > 0 else ())
    config = _config(recipe, device, progress, snapshot_every, 8)
    optimizers = build_optimizers(discriminator, generator, recipe.lr)
    return GANTrainer(generator, discriminator, train.sample, no_noise, config, objective=objective, game=Paired(), callbacks=callbacks, optimizers=optimizers)


def build_cyclegan(recipe: CycleGANRecipe, device: str = "cpu", callbacks: Any = (), progress: bool = False, snapshot_every: int | None = None) -> GANTrainer:
    """The untrained CycleGAN of ``recipe`` (see :class:`CycleGANRecipe`): the cycle
    game, the least-squares loss (as in the paper) plus the cycle and identity terms."""
    seed_everything(recipe.seed)
    domains = recipe.data()
    channels = domains.a.channels

    def generator() -> UNetGenerator:
        return UNetGenerator(channels, channels, recipe.image_size, recipe.width, depth=recipe.depth, dropout=0.0)

    nets = [generator(), generator(), PatchDiscriminator(channels, recipe.d_width, recipe.d_layers), PatchDiscriminator(channels, recipe.d_width, recipe.d_layers)]
    for net in nets:
        net.apply(init_weights)
    config = _config(recipe, device, progress, snapshot_every, 8)
    objective = Objective(LeastSquaresLoss(), terms=(CycleConsistency(recipe.cycle_weight), Identity(recipe.cycle_weight * recipe.identity_weight)))
    g, d = Pair(nets[0], nets[1], ("ab", "ba")), Pair(nets[2], nets[3], ("a", "b"))
    game = Cycle(history=recipe.history, seed=recipe.seed)
    return GANTrainer(g, d, domains.sample_pair, no_noise, config, objective=objective, game=game, callbacks=callbacks, optimizers=build_optimizers(d, g, recipe.lr))


@torch.no_grad()
def translate(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """``model(images)`` in eval mode, in batches, on the model's device; returned on the
    CPU; the model's train/eval mode is restored."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = torch.cat([model(images[i : i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)])
    model.train(was_training)
    return out


def held_out_l1(trainer: GANTrainer, pairs: PairedImages, generator: nn.Module | None = None) -> float:
    """Mean absolute error between G's translations of ``pairs.inputs`` and their
    targets (pixel values in [-1, 1]); ``generator`` replaces the trainer's own G."""
    model = generator if generator is not None else trainer.generator
    return float((translate(model, pairs.inputs) - pairs.targets).abs().mean())


class DomainClassifier(nn.Module):
    """A small CNN that tells domain A (0) from domain B (1): the judge of whether a
    translation *looks like* its target domain.  Two stride-2 convolutions, global
    average pooling, one logit."""

    def __init__(self, channels: int = 3, width: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(2 * width, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()

    @torch.no_grad()
    def is_b(self, images: torch.Tensor) -> torch.Tensor:
        """Boolean per image: judged to belong to domain B."""
        self.eval()
        return self(images) > 0


def train_domain_classifier(domains: UnpairedDomains, steps: int = 200, batch_size: int = 64, seed: int = 0) -> DomainClassifier:
    """A :class:`DomainClassifier` trained on real images of the two training domains
    (never on translations), with Adam at 2e-3; a few seconds on a CPU."""
    torch.manual_seed(seed)
    model = DomainClassifier(domains.a.channels)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        a, b = domains.sample_pair(batch_size, generator=rng)
        logits = model(torch.cat([a, b]))
        target = torch.cat([torch.zeros(len(a)), torch.ones(len(b))])
        loss = F.binary_cross_entropy_with_logits(logits, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


def _nearest_is_own(images: torch.Tensor, originals: torch.Tensor) -> float:
    """The share of ``images[i]`` whose nearest image of ``originals`` (L1) is ``originals[i]``."""
    distances = torch.cdist(images.flatten(1).double(), originals.flatten(1).double(), p=1)
    return float((distances.argmin(dim=1) == torch.arange(len(originals))).float().mean())


def cycle_report(trainer: GANTrainer, domains: UnpairedDomains, judge: DomainClassifier, digits: nn.Module | None = None) -> dict[str, float]:
    """What the CycleGAN gates measure on the held-out digits (``domains.test_a`` and
    their styled twins ``domains.test_b``):

    * ``cycle_a``, ``cycle_b``: mean L1 error of the round trips A -> B -> A and B -> A -> B;
    * ``error_ab``, ``error_ba``: mean L1 error against the known correct translation;
    * ``as_b``, ``as_a``: share of A -> B translations the domain classifier calls B,
      and of B -> A translations it calls A;
    * ``recognised_ba`` (with ``digits``, a :class:`~modules.networks.classifier.DigitClassifier`
      of 1-channel digits): share of B -> A translations recognised as the digit they
      started from;
    * ``other_digit``: mean L1 distance between a held-out A digit and another one, the
      error of a round trip that keeps nothing of its input (for scale);
    * ``home_a``, ``home_b``: share of round trips (A -> B -> A, B -> A -> B) nearer, in
      L1, to the image they started from than to any other held-out image of the domain.
    """
    from modules.evaluation.classifier import classify

    g = trainer.generator
    test_a, labels = domains.test_a.tensors()
    test_b = domains.correct_b_of(test_a)
    ab, ba = translate(g.ab, test_a), translate(g.ba, test_b)
    aba, bab = translate(g.ba, ab), translate(g.ab, ba)
    report = {
        "cycle_a": float((aba - test_a).abs().mean()),
        "cycle_b": float((bab - test_b).abs().mean()),
        "error_ab": float((ab - test_b).abs().mean()),
        "error_ba": float((ba - test_a).abs().mean()),
        "as_b": float(judge.is_b(ab).float().mean()),
        "as_a": float((~judge.is_b(ba)).float().mean()),
        "other_digit": float((test_a - test_a.roll(1, dims=0)).abs().mean()),
        "home_a": _nearest_is_own(aba, test_a),
        "home_b": _nearest_is_own(bab, test_b),
    }
    if digits is not None:
        report["recognised_ba"] = float((classify(digits, ba.mean(dim=1, keepdim=True)) == labels).float().mean())
    return report
