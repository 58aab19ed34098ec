"""The DCGAN family's recipes: the trained image GANs several scripts share.

A recipe is a frozen dataclass of settings plus a function that builds (and, through
the cache, trains) what those settings describe.  ``dcgan_train.py`` trains the DCGAN
of lesson 12.1.2 with :func:`build_gan`; ``dcgan_latent.py`` needs the same trained
generator and asks :func:`pretrained_gan`, which loads it from the cache or trains it
right there when it is missing: no script depends on another having run first.
The WGAN-GP of lesson 12.1.4 is the same recipe with the few fields :data:`WGAN_GP`
changes: loss, critic steps, Adam's settings and the critic's normalisation.

:func:`~modules.evaluation.classifier.pretrained_classifier` does the same for the
small digit classifier that judges generated digits.

Introduced in lesson 12.1.2 (DCGAN).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from dataclasses import asdict, dataclass, replace

from modules.storage.checkpoints import CheckpointError, absolute, cache_path, load_checkpoint
from modules.data.synthetic import normal_noise
from modules.cli import at_least, fraction, non_negative, positive, setting
from modules.cli import image_size as cli_image_size
from modules.data.images import DATASETS, ImageDataset, load_image_dataset
from modules.game.loop import GANTrainer, build_optimizers
from modules.game.objective import Objective, objective_from_settings
from modules.game.games import Conditional
from modules.networks.dcgan import DISCRIMINATOR_NORMS, DCGANDiscriminator, DCGANGenerator, dcgan_init
from modules.game.config import TrainConfig
from modules.game.history import Callback
from modules.game.runtime import seed_everything
from modules.experiments.workers import trained

__all__ = ["channels_setting", "check_channels", "GANRecipe", "DCGAN_PRESETS", "CONDITIONAL_PRESETS", "WGAN_GP", "recipe_objective", "build_gan", "cache_gan", "save_gan", "load_gan", "pretrained_gan"]


def channels_setting() -> Any:
    """The ``--channels`` setting of the image recipes: 1 (grey, every built-in dataset)
    or 3 (colour, for a ``--data-dir`` folder of colour images)."""
    return setting(1, "image channels: 1 (grey) or 3 (colour, for a --data-dir of colour images)", choices=[1, 3])


def check_channels(recipe: Any) -> None:
    """Colour needs a student's folder: the built-in datasets are grey (and the digit
    classifier that judges their samples reads one channel)."""
    if recipe.channels == 3 and recipe.data_dir is None:
        raise ValueError("--channels 3 is for a --data-dir folder of colour images; the built-in datasets are grey")


@dataclass(frozen=True)
class GANRecipe:
    """Everything that determines a trained DCGAN (or conditional DCGAN, or WGAN-GP).

    The last five fields make the DCGAN another GAN of the same architecture; their
    defaults are the DCGAN's.  ``loss`` is a name of :data:`modules.game.objective.OBJECTIVES`,
    ``n_critic`` the number of D (critic) updates per G update, ``penalty_weight``
    the gradient penalty's lambda (``wgan_gp`` only), ``beta2`` Adam's second beta
    and ``critic_norm`` D's normalisation (see :class:`~modules.networks.dcgan.DCGANDiscriminator`).
    """

    dataset: str = setting("digits", "training images", choices=[d for d in DATASETS if d != "folder"])
    data_dir: str | None = setting(None, "train on your own folder of images instead (ImageFolder layout or flat)")
    image_size: int = setting(32, "image height and width", cli_image_size)
    channels: int = channels_setting()
    latent_dim: int = setting(100, "size of the noise vector", at_least(1))
    width: int = setting(64, "base number of channels", at_least(1))
    upsample: str = "transposed"
    conditional: bool = False
    steps: int = setting(1000, "training steps", at_least(1))
    batch_size: int = setting(128, "images per batch", at_least(2))
    lr: float = setting(2e-4, "Adam learning rate (both players)", positive)
    beta1: float = setting(0.5, "Adam beta1", fraction)
    ema_decay: float = setting(0.999, "decay of the generator's moving average (0: off)", fraction)
    seed: int = 0
    cpu_threads: int = 2
    loss: str = "non_saturating"
    n_critic: int = setting(1, "critic updates per generator update", at_least(1))
    penalty_weight: float = setting(10.0, "weight of the gradient penalty (0: none)", non_negative)
    beta2: float = setting(0.999, "Adam beta2", fraction)
    critic_norm: str = setting("batch", "normalisation inside the critic", choices=DISCRIMINATOR_NORMS)
    snapshot_every: int = 0  # steps between G's snapshots (and kept weights); 0: eight per run

    def __post_init__(self) -> None:
        check_channels(self)

    def load_data(self) -> ImageDataset:
        return load_image_dataset(self.dataset, self.image_size, self.channels, data_dir=self.data_dir)


#: The DCGAN of lesson 12.1.2 in its two presets; ``dcgan_train.py`` declares the same
#: values as its constants (a test checks that they agree).
DCGAN_PRESETS = {
    "full": GANRecipe(dataset="mnist", image_size=64, width=64, batch_size=128, steps=3000, ema_decay=0.999),
    "docs": GANRecipe(dataset="mnist-5k", image_size=32, width=32, batch_size=64, lr=2e-3, steps=1000, ema_decay=0.99),
}

#: The conditional DCGAN of lesson 12.1.3 (``conditional_gan.py``, whose constants a
#: test compares with these): the DCGAN with labels.
CONDITIONAL_PRESETS = {
    "full": replace(DCGAN_PRESETS["full"], conditional=True),
    "docs": replace(DCGAN_PRESETS["docs"], conditional=True),
}

#: What turns the DCGAN into WGAN-GP (Gulrajani et al., 2017, their Algorithm 1): the
#: Wasserstein loss with a gradient penalty of weight 10, five critic updates per
#: generator update, Adam with learning rate 1e-4 and betas (0, 0.9), and a critic
#: without BatchNorm (layer normalisation instead).  No moving average of G (the
#: paper has none).
WGAN_GP = {"loss": "wgan_gp", "n_critic": 5, "penalty_weight": 10.0, "lr": 1e-4, "beta1": 0.0, "beta2": 0.9, "critic_norm": "layer", "ema_decay": 0.0}

def recipe_objective(recipe: GANRecipe) -> Objective:
    """The objective ``recipe.loss`` names (with its penalty weight for ``wgan_gp``)."""
    return objective_from_settings(recipe.loss, penalty_weight=recipe.penalty_weight)


def build_gan(
    recipe: GANRecipe,
    dataset: ImageDataset,
    device: str = "cpu",
    callbacks: Sequence[Callback] = (),
    progress: bool = False,
) -> GANTrainer:
    """A DCGAN (conditional when ``recipe.conditional``) and its trainer, untrained.

    The DCGAN paper's settings: weights initialised by :func:`dcgan_init`, Adam with
    learning rate 2e-4 and beta1 = 0.5 for both players, one D step per G step,
    batches drawn from ``dataset``, noise z ~ N(0, I).  The trainer keeps the output
    on fixed noise, and a copy of G's weights, every ``recipe.snapshot_every`` steps
    (``0``: eight times per run).
    A recipe with other ``loss``, ``n_critic``, ``beta1``/``beta2`` or
    ``critic_norm`` (:data:`WGAN_GP`) gets the same networks and trainer
    with those pieces swapped.
    """
    seed_everything(recipe.seed)  # the initial weights come from the global generator
    classes = dataset.num_classes if recipe.conditional else 0
    if recipe.conditional and not classes:
        raise ValueError(f"dataset {dataset.name!r} has no labels; a conditional GAN needs labelled data")
    generator = DCGANGenerator(recipe.latent_dim, recipe.image_size, dataset.channels, recipe.width, recipe.upsample, num_classes=classes)
    discriminator = DCGANDiscriminator(recipe.image_size, dataset.channels, recipe.width, num_classes=classes, norm=recipe.critic_norm)
    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    optimizers = build_optimizers(discriminator, generator, recipe.lr, betas=(recipe.beta1, recipe.beta2))
    config = TrainConfig(
        num_epochs=recipe.steps,  # one trainer "epoch" = one D step + one G step
        batch_size=recipe.batch_size,
        d_steps=recipe.n_critic,
        ema_decay=recipe.ema_decay,
        seed=recipe.seed,
        device=device,
        snapshot_every=recipe.snapshot_every or max(1, recipe.steps // 8),
        num_snapshot_samples=64 if not classes else 10 * classes,
        keep_weights=True,  # G at every snapshot: lesson 12.1.7 evaluates the run over training
        progress=progress,
        progress_unit="step",
        cpu_threads=recipe.cpu_threads,
    )
    real = dataset.sample_with_labels if classes else dataset.sample
    noise = functools.partial(normal_noise, dim=recipe.latent_dim)
    game = Conditional(classes) if classes else None
    return GANTrainer(generator, discriminator, real, noise, config, objective=recipe_objective(recipe), game=game, callbacks=callbacks, optimizers=optimizers)


def pretrained_gan(
    recipe: GANRecipe,
    device: str = "cpu",
    dataset: ImageDataset | None = None,
    callbacks: Sequence[Callback] = (),
    progress: bool = False,
    resume: str | os.PathLike | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 0,
) -> GANTrainer:
    """The trained GAN of ``recipe``: from the model cache when that recipe was
    trained before (with the same code), else trained now and cached, like every
    cached run (:func:`~modules.experiments.workers.trained`); a cache file that
    cannot be used is trained anew.  ``callbacks`` watch the training, or say again
    what they said when the run comes from the cache.

    ``checkpoint``, ``checkpoint_every`` and ``resume`` are those of
    :func:`~modules.experiments.workers.trained` (``--checkpoint``,
    ``--checkpoint-every``, ``--resume``): ``resume`` goes on from a checkpoint of the
    same recipe (but for its steps) to ``recipe.steps``.  Under ``torchrun`` the run
    is always trained, on every process, and cached."""
    dataset = dataset if dataset is not None else recipe.load_data()
    (trainer,) = trained(
        "gan", [recipe], build_gan, workers=1, device=device, dataset=dataset, callbacks=callbacks, progress=progress,
        checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume,
    )
    return trainer


def save_gan(trainer: GANTrainer, recipe: GANRecipe, path: str | os.PathLike) -> Path:
    """Save a trainer of ``recipe`` with the recipe inside, so :func:`load_gan` can
    rebuild the same architecture from the file alone; returns the full path."""
    trainer.save_checkpoint(path, recipe=asdict(recipe))
    return absolute(path)


def cache_gan(trainer: GANTrainer, recipe: GANRecipe) -> Path:
    """Put a trainer that trained ``recipe`` into the cache, where :func:`pretrained_gan` looks."""
    return save_gan(trainer, recipe, cache_path("gan", asdict(recipe)))  # where pretrained_gan looks


def load_gan(path: str | os.PathLike, device: str = "cpu") -> tuple[GANTrainer, GANRecipe]:
    """A trained GAN from a file written by :func:`save_gan` (``--checkpoint``); raises
    :class:`~modules.storage.checkpoints.CheckpointError` for an unusable file."""
    data = load_checkpoint(path, kind="gan")
    try:
        recipe = GANRecipe(**data["recipe"])
    except (KeyError, TypeError) as err:
        raise CheckpointError(f"{path} does not say which GAN recipe it holds ({err})") from None
    trainer = build_gan(recipe, recipe.load_data(), device=device)
    trainer.load_checkpoint(path)
    return trainer, recipe
