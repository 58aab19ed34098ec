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

from modules.data.images import load_image_dataset
from modules.data.synthetic import normal_noise
from modules.game.config import TrainConfig
from modules.game.loop import GANTrainer
from modules.game.runtime import seed_everything
from modules.networks.dcgan import DCGANDiscriminator, dcgan_init
from modules.networks.stylegan import StyleGenerator

__all__ = ["StyleRecipe", "build_style_gan", "sample_spread"]


@dataclass(frozen=True)
class StyleRecipe:
    """Everything that determines a trained StyleGAN-lite (lesson 12.1.9).

    G is a :class:`~modules.networks.stylegan.StyleGenerator`; D is the DCGAN discriminator of lesson 12.1.2
    with the minibatch-standard-deviation channel (``minibatch_std=True``), which
    StyleGAN's discriminator has too: without it this generator collapses to a few
    digits.  Non-saturating loss, Adam with ``betas = (beta1, beta2)`` (StyleGAN's
    0 and 0.99) and a moving average of G's weights (``ema_decay``).
    """

    dataset: str = "digits"
    data_dir: str | None = None
    image_size: int = 16
    channels: int = 1
    z_dim: int = 64
    w_dim: int = 64
    width: int = 32
    mapping_layers: int = 4
    mixing_prob: float = 0.9
    d_width: int = 16
    steps: int = 1500
    batch_size: int = 32
    lr: float = 1e-3
    beta1: float = 0.0
    beta2: float = 0.99
    ema_decay: float = 0.99
    seed: int = 0
    cpu_threads: int = 1

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
    config = TrainConfig(
        num_epochs=recipe.steps,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        betas=(recipe.beta1, recipe.beta2),
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
    return GANTrainer(generator, discriminator, dataset.sample, noise, config, callbacks=callbacks)


def sample_spread(images: torch.Tensor) -> float:
    """How different a batch of images is: the mean over pixels of the per-pixel
    standard deviation across the batch (0 when every image is the same)."""
    return float(images.flatten(1).std(dim=0).mean()) if len(images) > 1 else 0.0
