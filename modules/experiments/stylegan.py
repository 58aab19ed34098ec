"""StyleGAN-lite's recipe (lesson 12.1.9): the style-based generator of
:mod:`modules.networks.stylegan` against the DCGAN discriminator, trained by the
course's one game loop.

Introduced in lesson 12.1.9 (Style-Based Generators).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import torch

from modules.cli import at_least, fraction, positive, setting
from modules.data.images import DATASETS, load_image_dataset
from modules.data.synthetic import normal_noise
from modules.experiments.dcgan import channels_setting, check_channels
from modules.game.config import TrainConfig
from modules.game.loop import GANTrainer, build_optimizers
from modules.game.runtime import seed_everything
from modules.networks.dcgan import DCGANDiscriminator, dcgan_init
from modules.networks.stylegan import StyleGenerator

__all__ = ["StyleRecipe", "build_style_gan", "sample_spread", "style_image_size"]


def style_image_size(value: int) -> str | None:
    """Flag check (``--image-size``): a size the synthesis network can draw."""
    return None if value in (8, 16, 32, 64, 128) else "must be a power of two from 8 to 128 (the synthesis network doubles a 4x4 constant)"


def probability(value: float) -> str | None:
    return None if 0 <= value <= 1 else "must be in [0, 1]"


@dataclass(frozen=True)
class StyleRecipe:
    """Everything that determines a trained StyleGAN-lite (lesson 12.1.9).

    G is a :class:`~modules.networks.stylegan.StyleGenerator`; D is the DCGAN discriminator of lesson 12.1.2
    with the minibatch-standard-deviation channel (``minibatch_std=True``), which
    StyleGAN's discriminator has too: without it this generator collapses to a few
    digits.  Non-saturating loss, Adam with ``betas = (beta1, beta2)`` (StyleGAN's
    0 and 0.99) and a moving average of G's weights (``ema_decay``).
    """

    dataset: str = setting("digits", "training images", choices=[d for d in DATASETS if d != "folder"])
    data_dir: str | None = setting(None, "train on your own folder of images instead")
    image_size: int = setting(16, "image height and width", style_image_size)
    channels: int = channels_setting()
    z_dim: int = setting(64, "size of z", at_least(1))
    w_dim: int = setting(64, "size of w", at_least(1))
    width: int = setting(32, "channels of the coarse layers", at_least(8))
    mapping_layers: int = setting(4, "fully connected layers of the mapping network", at_least(1))
    mixing_prob: float = setting(0.9, "probability of style mixing per training batch", probability)
    d_width: int = setting(16, "discriminator base channels", at_least(1))
    steps: int = setting(1500, "training steps", at_least(1))
    batch_size: int = setting(32, "images per batch", at_least(2))
    lr: float = setting(1e-3, "Adam learning rate (both players)", positive)
    beta1: float = 0.0
    beta2: float = 0.99
    ema_decay: float = setting(0.99, "decay of the generator's moving average (0: off)", fraction)
    seed: int = 0
    cpu_threads: int = 1

    def __post_init__(self) -> None:
        check_channels(self)

    def load_data(self) -> Any:
        return load_image_dataset(self.dataset, self.image_size, self.channels, data_dir=self.data_dir)


def build_style_gan(recipe: StyleRecipe, device: str = "cpu", callbacks: Any = (), progress: bool = False, dataset: Any = None) -> Any:
    """The untrained StyleGAN-lite of ``recipe`` and its trainer (the course's one
    :class:`~modules.game.loop.GANTrainer`: only the two networks are new)."""
    seed_everything(recipe.seed)
    dataset = dataset if dataset is not None else recipe.load_data()
    generator = StyleGenerator(recipe.z_dim, recipe.w_dim, recipe.image_size, dataset.channels, recipe.width, recipe.mapping_layers, recipe.mixing_prob, seed=recipe.seed)
    discriminator = DCGANDiscriminator(recipe.image_size, dataset.channels, recipe.d_width, minibatch_std=True)
    discriminator.apply(dcgan_init)
    optimizers = build_optimizers(discriminator, generator, recipe.lr, betas=(recipe.beta1, recipe.beta2))
    config = TrainConfig(
        num_epochs=recipe.steps,
        batch_size=recipe.batch_size,
        ema_decay=recipe.ema_decay,
        seed=recipe.seed,
        device=device,
        snapshot_every=max(1, recipe.steps // 6),
        num_snapshot_samples=32,
        progress=progress,
        progress_unit="step",
        cpu_threads=recipe.cpu_threads,
    )
    noise = functools.partial(normal_noise, dim=recipe.z_dim)
    return GANTrainer(generator, discriminator, dataset.sample, noise, config, callbacks=callbacks, optimizers=optimizers)


def sample_spread(images: torch.Tensor) -> float:
    """How different a batch of images is: the mean over pixels of the per-pixel
    standard deviation across the batch (0 when every image is the same)."""
    return float(images.flatten(1).std(dim=0).mean()) if len(images) > 1 else 0.0
