# FROZEN COPY of the trainer before issue 16, kept only for tests/test_game_equivalence.py; deleted with it.
"""Training tricks: small named pieces that plug into the one trainer.

A :class:`Trick` overrides one or two *hooks* of :class:`~modules.training.GANTrainer`;
the trainer calls every hook of its loss and of each trick at fixed points of its
loop, so a trick never copies the loop:

============================  ============================================================
hook                          called
============================  ============================================================
``setup(trainer)``            once, before the optimisers exist (change D, learning rates)
``d_input(x, trainer)``       on every batch D sees, real or fake, in both players' steps
``d_targets(r, f, trainer)``  on D's targets (1 for real, 0 for fake) before D's loss
``d_penalty(...)``            returns a term added to D's loss (or ``None``)
``replace_g_loss(...)``       returns G's loss instead of the objective's (or ``None``)
``g_penalty(...)``            returns a term added to G's loss (or ``None``)
``before_g_step(trainer)``    before G's update (and ``after_g_step`` after it)
``before_update(model, t)``   between ``backward()`` and the optimiser step, for D and G
``after_d_update(trainer)``   after each D update
============================  ============================================================

Two tricks change D's architecture rather than its training, so they live in
:mod:`modules.networks.dcgan` and are chosen when D is built: the minibatch standard
deviation (``MLPDiscriminator(minibatch_std=True)``) and packing
(:class:`~modules.networks.mlp.PackedDiscriminator`).  :data:`TRICKS` lists all of them
with a one-line description; :func:`make_tricks` builds the hook-based ones by name.

Introduced in lesson 12.1.5 (Stabilizing Training); the unrolled discriminator in
lesson 12.1.6 (Mode Collapse).
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:  # pragma: no cover
    from legacy.training import GANTrainer

__all__ = [
    "Trick",
    "LabelSmoothing",
    "NoisyLabels",
    "InstanceNoise",
    "SpectralNorm",
    "TTUR",
    "FeatureMatching",
    "GradientClipping",
    "UnrolledDiscriminator",
    "spectral_norms",
    "TRICKS",
    "ARCHITECTURE_TRICKS",
    "make_tricks",
]


class Trick:
    """Base class: every hook does nothing.  See the module docstring for when each
    hook runs."""

    name = "trick"
    needs_labels = False  # True: only for losses with targets (BCE, least squares)

    def setup(self, trainer: GANTrainer) -> None:
        pass

    def d_input(self, x: torch.Tensor, trainer: GANTrainer) -> torch.Tensor:
        return x

    def d_targets(self, real_target: torch.Tensor, fake_target: torch.Tensor, trainer: GANTrainer) -> tuple[torch.Tensor, torch.Tensor]:
        return real_target, fake_target

    def d_penalty(self, real: torch.Tensor, fake: torch.Tensor, cond: tuple, trainer: GANTrainer) -> torch.Tensor | None:
        return None

    def replace_g_loss(self, fake: torch.Tensor, cond: tuple, trainer: GANTrainer) -> torch.Tensor | None:
        return None

    def g_penalty(self, fake: torch.Tensor, cond: tuple, trainer: GANTrainer) -> torch.Tensor | None:
        return None

    def before_g_step(self, trainer: GANTrainer) -> None:
        pass

    def after_g_step(self, trainer: GANTrainer) -> None:
        pass

    def before_update(self, model: nn.Module, trainer: GANTrainer) -> None:
        pass

    def after_d_update(self, trainer: GANTrainer) -> None:
        pass

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


class LabelSmoothing(Trick):
    """One-sided label smoothing (Salimans et al., 2016): D's target for real samples
    is ``real_target`` (0.9) instead of 1; fakes keep 0.  D is no longer rewarded
    for infinite confidence on real data, so its gradients towards G stay useful.
    (Smoothing the fake side too would reward G's mistakes, hence one-sided.)"""

    name = "label_smoothing"
    needs_labels = True

    def __init__(self, real_target: float = 0.9) -> None:
        _check(0.5 < real_target <= 1.0, f"label smoothing target must be in (0.5, 1] (got {real_target})")
        self.real_target = real_target

    def d_targets(self, real_target, fake_target, trainer):  # noqa: D102
        return real_target * self.real_target, fake_target


class NoisyLabels(Trick):
    """Noisy labels: in every D step a random ``flip`` share of real samples is
    labelled fake and of fakes labelled real, so D can never be perfectly sure."""

    name = "noisy_labels"
    needs_labels = True

    def __init__(self, flip: float = 0.05) -> None:
        _check(0.0 <= flip < 0.5, f"label flip probability must be in [0, 0.5) (got {flip})")
        self.flip = flip

    def d_targets(self, real_target, fake_target, trainer):  # noqa: D102
        def flipped(target: torch.Tensor) -> torch.Tensor:
            mask = torch.rand(target.shape, generator=trainer.rng).to(target.device) < self.flip
            return torch.where(mask, 1.0 - target, target)

        return flipped(real_target), flipped(fake_target)


class InstanceNoise(Trick):
    """Instance noise (Sønderby et al., 2017; Arjovsky & Bottou, 2017): Gaussian noise
    of standard deviation ``std`` is added to every sample D sees, real or fake,
    shrinking linearly to zero over the run.  Blurring both distributions makes them
    overlap, so D cannot separate them perfectly early on and G's gradient never
    vanishes."""

    name = "instance_noise"

    def __init__(self, std: float = 0.1, anneal: bool = True) -> None:
        _check(math.isfinite(std) and std >= 0, f"instance noise std must be >= 0 (got {std})")
        self.std = std
        self.anneal = anneal

    def current_std(self, trainer: GANTrainer) -> float:
        if not self.anneal:
            return self.std
        return self.std * max(0.0, 1.0 - (trainer.epoch - 1) / trainer.config.num_epochs)

    def d_input(self, x, trainer):  # noqa: D102
        std = self.current_std(trainer)
        if std == 0:
            return x
        return x + std * torch.randn(x.shape, generator=trainer.rng).to(x)


class SpectralNorm(Trick):
    """Spectral normalisation (Miyato et al., 2018) of every linear and convolutional
    layer of D, with PyTorch's own parametrization
    (:func:`torch.nn.utils.parametrizations.spectral_norm`): each weight is divided by
    an *estimate* of its largest singular value, so D cannot become arbitrarily steep.
    The estimate comes from one power iteration per step, continued from the previous
    step's vectors; one iteration only approaches the largest singular value from
    below, so a layer's norm stays near 1 once the iteration has caught up, not exactly
    1.  A convolution's kernel is reshaped to a matrix (out_channels x everything
    else) and *that* matrix is normalised: its norm is not the norm of the convolution
    as an operator on images, which can be well above 1.  Spectral normalisation
    therefore bounds D's steepness only approximately, not to exactly 1-Lipschitz."""

    name = "spectral_norm"

    def setup(self, trainer):  # noqa: D102
        trainer.discriminator = apply_spectral_norm(trainer.discriminator)


def apply_spectral_norm(model: nn.Module) -> nn.Module:
    """Wrap the weight of every ``Linear`` / ``Conv*`` layer of ``model`` in place."""
    from torch.nn.utils.parametrizations import spectral_norm

    for module in list(model.modules()):
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)) and not _has_spectral_norm(module):
            spectral_norm(module)
    return model


def _has_spectral_norm(module: nn.Module) -> bool:
    return hasattr(module, "parametrizations") and "weight" in module.parametrizations


@torch.no_grad()
def spectral_norms(model: nn.Module) -> list[float]:
    """The exact largest singular value of every spectrally normalised layer's
    effective weight (reshaped to a matrix for convolutions), in eval mode, so the
    power-iteration estimate is not advanced.  For a linear layer 1.0 means the layer
    is 1-Lipschitz; for a convolution it is the norm of the reshaped kernel, not of the
    convolution as an operator on images, which can be larger."""
    was_training = model.training
    model.eval()
    values = [
        torch.linalg.matrix_norm(m.weight.flatten(1).double(), ord=2).item() for m in model.modules() if _has_spectral_norm(m)
    ]
    model.train(was_training)
    return values


class TTUR(Trick):
    """Two time-scale update rule (Heusel et al., 2017): D learns faster than G
    (``lr_d`` = 4e-4, ``lr_g`` = 1e-4 by default), so D stays close to its best
    response to the current G and G follows a better-informed gradient."""

    name = "ttur"

    def __init__(self, lr_d: float = 4e-4, lr_g: float = 1e-4) -> None:
        _check(lr_d > 0 and lr_g > 0, f"TTUR learning rates must be positive (got lr_d={lr_d}, lr_g={lr_g})")
        self.lr_d = lr_d
        self.lr_g = lr_g

    def setup(self, trainer):  # noqa: D102
        import dataclasses

        trainer.config = dataclasses.replace(trainer.config, lr_d=self.lr_d, lr_g=self.lr_g)


class FeatureMatching(Trick):
    r"""Feature matching (Salimans et al., 2016): G stops trying to fool D's final
    verdict and instead matches the *average* of D's last hidden features on real
    data, :math:`\lVert E f(x) - E f(G(z)) \rVert^2`.  G then aims at statistics of
    the whole batch rather than at whatever single output D currently likes most.
    D must have a ``features(x)`` method (the course's discriminators do)."""

    name = "feature_matching"

    def setup(self, trainer):  # noqa: D102
        _check(hasattr(trainer.discriminator, "features"), "feature matching needs a discriminator with a features() method")

    def replace_g_loss(self, fake, cond, trainer):  # noqa: D102
        real, labels = trainer.real_batch()
        real_cond = () if labels is None else (labels,)
        with torch.no_grad():
            target = trainer.discriminator.features(trainer.d_input(real), *real_cond).mean(dim=0)
        features = trainer.discriminator.features(trainer.d_input(fake), *cond).mean(dim=0)
        return (features - target).pow(2).sum()


class GradientClipping(Trick):
    """Clip the gradient norm of both players' parameters to ``max_norm`` before each
    optimiser step: one unlucky batch cannot throw the weights far away."""

    name = "gradient_clipping"

    def __init__(self, max_norm: float = 1.0) -> None:
        _check(math.isfinite(max_norm) and max_norm > 0, f"gradient clipping max_norm must be positive (got {max_norm})")
        self.max_norm = max_norm

    def before_update(self, model, trainer):  # noqa: D102
        nn.utils.clip_grad_norm_(model.parameters(), self.max_norm)


class UnrolledDiscriminator(Trick):
    """Unrolled GAN (Metz et al., 2017), first-order form: before each G update, D
    takes ``steps`` extra updates on fresh batches; G is updated against that
    *future* D; then D and its optimiser are put back exactly as they were.

    G therefore optimises against how D would react, so jumping to the mode D
    currently likes least no longer pays: D would follow at once.  The paper also
    back-propagates through the unrolled updates; this version does not (it is much
    cheaper and keeps the idea).  Each G step costs
    ``steps`` extra D steps.
    """

    name = "unrolled"

    def __init__(self, steps: int = 3) -> None:
        _check(int(steps) >= 1, f"unrolled steps must be >= 1 (got {steps})")
        self.steps = int(steps)
        self._saved: tuple[dict, dict] | None = None

    def before_g_step(self, trainer):  # noqa: D102
        self._saved = (copy.deepcopy(trainer.discriminator.state_dict()), copy.deepcopy(trainer.opt_d.state_dict()))
        for _ in range(self.steps):
            trainer.d_step()

    def after_g_step(self, trainer):  # noqa: D102
        if self._saved is not None:
            d_state, opt_state = self._saved
            trainer.discriminator.load_state_dict(d_state)
            trainer.opt_d.load_state_dict(opt_state)
            self._saved = None


# name -> (what it does, the class; None for the architecture tricks of modules.networks.dcgan)
TRICKS: dict[str, tuple[str, type[Trick] | None]] = {
    "label_smoothing": ("one-sided label smoothing: D's real target 0.9", LabelSmoothing),
    "noisy_labels": ("flip 5% of D's labels each step", NoisyLabels),
    "instance_noise": ("Gaussian noise on D's inputs, annealed to 0", InstanceNoise),
    "spectral_norm": ("spectral normalisation of D's layers", SpectralNorm),
    "ttur": ("two time-scale learning rates (D 4e-4, G 1e-4)", TTUR),
    "feature_matching": ("G matches D's mean hidden features", FeatureMatching),
    "gradient_clipping": ("clip both players' gradient norms to 1", GradientClipping),
    "minibatch_std": ("D also sees the batch's standard deviation", None),
    "unrolled": ("G steps against D unrolled 3 steps ahead", UnrolledDiscriminator),
    "pack": ("D judges packs of 4 samples at once (PacGAN)", None),
}
ARCHITECTURE_TRICKS = ("minibatch_std", "pack")


def make_tricks(names: list[str] | tuple[str, ...], **params: Any) -> list[Trick]:
    """Build the hook-based tricks named in ``names`` (architecture tricks are skipped:
    they are chosen when D is built).  ``params`` maps a trick name to its keyword
    arguments, for example ``make_tricks(["instance_noise"], instance_noise={"std":
    0.2})``.  Unknown names raise :class:`ValueError` listing the known ones."""
    tricks = []
    for name in names:
        if name not in TRICKS:
            raise ValueError(f"unknown trick {name!r}; choose from {', '.join(TRICKS)}")
        cls = TRICKS[name][1]
        if cls is not None:
            tricks.append(cls(**params.get(name, {})))
    return tricks
