"""Training tricks (lesson 12.1.5; unrolling in 12.1.6), each acting where it belongs.

=====================  ==================================  =========================================
trick                  acts on                             how
=====================  ==================================  =========================================
``label_smoothing``    D's targets (objective)             ``relabel(real, fake, rng)``
``noisy_labels``       D's targets (objective)             ``relabel(real, fake, rng)``
``instance_noise``     what D sees (objective)             ``see(x, rng, clock)``
``feature_matching``   G's adversarial term (objective)    ``g_loss(duels, draws, see)``
``spectral_norm``      D, when it is built                 ``build(discriminator)``
``ttur``               the optimisers, when built          ``rates(lr_d, lr_g)``
``gradient_clipping``  both players' updates               ``clip(model)`` before each step
``unrolled``           G's phase                           ``around(d_phase)`` (a context)
=====================  ==================================  =========================================

Two more change D's architecture and are chosen when D is built, in
:mod:`modules.networks.mlp` and :mod:`modules.networks.dcgan`: the minibatch standard deviation and packing.  :data:`TRICKS`
lists all ten with a line each; :func:`make_tricks` builds the others by name.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

__all__ = [
    "Trick",
    "LabelSmoothing",
    "NoisyLabels",
    "InstanceNoise",
    "FeatureMatching",
    "SpectralNorm",
    "TTUR",
    "GradientClipping",
    "UnrolledDiscriminator",
    "apply_spectral_norm",
    "spectral_norms",
    "TRICKS",
    "ARCHITECTURE_TRICKS",
    "make_tricks",
    "by_role",
    "build_discriminator",
    "ROLES",
]


#: Where a trick may act (its ``acts_on``; see :class:`Trick`).
ROLES = ("relabel", "see", "g_objective", "build", "rates", "update", "g_phase")


def by_role(tricks: Any) -> dict[str, list[Trick]]:
    """``tricks`` grouped by where they act; one that names no known place is refused."""
    for trick in tricks:
        if getattr(trick, "acts_on", None) not in ROLES:
            raise ValueError(f"{trick!r} acts on {getattr(trick, 'acts_on', None)!r}; a trick acts on one of {', '.join(ROLES)}")
    return {role: [t for t in tricks if t.acts_on == role] for role in ROLES}


def build_discriminator(discriminator: nn.Module, tricks: Any) -> nn.Module:
    """D as the tricks that act when it is built leave it (spectral norm); then every
    trick checks that it can act on this D, so a mismatch is refused before the
    first step, not at it."""
    for trick in tricks:
        if trick.acts_on == "build":
            discriminator = trick.build(discriminator)
    for trick in tricks:
        if callable(check := getattr(trick, "check", None)):
            check(discriminator)
    return discriminator


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


class Trick:
    """A training trick: a small object that acts at one place, named by ``acts_on``.

    ``"relabel"`` and ``"see"`` join D's objective (its targets, what it sees),
    ``"g_objective"`` replaces G's adversarial term, ``"build"`` acts once when the
    trainer builds D, ``"rates"`` where the optimisers are built
    (:func:`~modules.game.loop.build_optimizers`), ``"update"`` acts between a
    backward pass and the optimiser's step, ``"g_phase"`` wraps G's phase.  Each role
    has one method (the table of the module docstring); a trick reads only what that
    method is given.
    """

    name = "trick"
    acts_on = "nothing"

    def check(self, discriminator: nn.Module) -> None:
        """Refuse, with one ``ValueError``, a discriminator this trick cannot act on;
        the trainer asks when it is built, before the first step."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class LabelSmoothing(Trick):
    """One-sided label smoothing (Salimans et al., 2016): D's target for real samples
    is ``real_target`` (0.9) instead of 1; fakes keep 0."""

    name, acts_on = "label_smoothing", "relabel"

    def __init__(self, real_target: float = 0.9) -> None:
        _check(0.5 < real_target <= 1.0, f"label smoothing target must be in (0.5, 1] (got {real_target})")
        self.real_target = real_target

    def relabel(self, real_target, fake_target, rng):  # noqa: D102
        return real_target * self.real_target, fake_target


class NoisyLabels(Trick):
    """Noisy labels: each D step a random ``flip`` share of real samples is labelled
    fake and of fakes labelled real, so D can never be perfectly sure."""

    name, acts_on = "noisy_labels", "relabel"

    def __init__(self, flip: float = 0.05) -> None:
        _check(0.0 <= flip < 0.5, f"label flip probability must be in [0, 0.5) (got {flip})")
        self.flip = flip

    def relabel(self, real_target, fake_target, rng):  # noqa: D102
        def flipped(target: torch.Tensor) -> torch.Tensor:
            mask = torch.rand(target.shape, generator=rng).to(target.device) < self.flip
            return torch.where(mask, 1.0 - target, target)

        return flipped(real_target), flipped(fake_target)


class InstanceNoise(Trick):
    """Instance noise (Sønderby et al., 2017): Gaussian noise of standard deviation
    ``std`` on every sample D sees, real or fake, shrinking linearly to zero over the run."""

    name, acts_on = "instance_noise", "see"

    def __init__(self, std: float = 0.1, anneal: bool = True) -> None:
        _check(math.isfinite(std) and std >= 0, f"instance noise std must be >= 0 (got {std})")
        self.std = std
        self.anneal = anneal

    def current_std(self, clock) -> float:
        return self.std * max(0.0, 1.0 - (clock.epoch - 1) / clock.num_epochs) if self.anneal else self.std

    def see(self, x, rng, clock):  # noqa: D102
        std = self.current_std(clock)
        return x if std == 0 else x + std * torch.randn(x.shape, generator=rng).to(x)


class FeatureMatching(Trick):
    r"""Feature matching (Salimans et al., 2016): G matches the *average* of D's last
    hidden features on a fresh real batch, :math:`\lVert E f(x) - E f(G(z)) \rVert^2`,
    instead of fooling D's verdict.  D needs a ``features(x)`` method."""

    name, acts_on = "feature_matching", "g_objective"

    def check(self, discriminator):  # noqa: D102
        _check(callable(getattr(discriminator, "features", None)), f"feature matching needs a discriminator with a features() method; {type(discriminator).__name__} has none")

    def g_loss(self, duels, draws, see):  # noqa: D102
        duel = duels[0]
        batch = draws.real()
        real, real_cond = (batch[0], (batch[1],)) if isinstance(batch, (tuple, list)) else (batch, ())
        with torch.no_grad():
            target = duel.discriminator.features(see(real), *real_cond).mean(dim=0)
        features = duel.discriminator.features(see(duel.fake), *duel.cond).mean(dim=0)
        return (features - target).pow(2).sum()


class SpectralNorm(Trick):
    """Spectral normalisation (Miyato et al., 2018) of every linear and convolutional
    layer of D, applied when D is built: each weight is divided by an *estimate* of its
    largest singular value (one power iteration per step, continued from the last), so
    a layer's norm stays near 1 once the estimate has caught up.  For a convolution the
    kernel reshaped to a matrix is normalised, whose norm is not the convolution's
    operator norm: the bound on D's steepness is approximate."""

    name, acts_on = "spectral_norm", "build"

    def build(self, discriminator: nn.Module) -> nn.Module:  # noqa: D102
        return apply_spectral_norm(discriminator)


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
    effective weight (reshaped to a matrix for convolutions), read in eval mode so the
    power iteration does not advance."""
    was_training = model.training
    model.eval()
    values = [torch.linalg.matrix_norm(m.weight.flatten(1).double(), ord=2).item() for m in model.modules() if _has_spectral_norm(m)]
    model.train(was_training)
    return values


class TTUR(Trick):
    """Two time-scale update rule (Heusel et al., 2017): D learns faster than G
    (``lr_d`` 4e-4, ``lr_g`` 1e-4), set when the optimisers are built."""

    name, acts_on = "ttur", "rates"

    def __init__(self, lr_d: float = 4e-4, lr_g: float = 1e-4) -> None:
        _check(lr_d > 0 and lr_g > 0, f"TTUR learning rates must be positive (got lr_d={lr_d}, lr_g={lr_g})")
        self.lr_d = lr_d
        self.lr_g = lr_g

    def rates(self, lr_d: float, lr_g: float) -> tuple[float, float]:  # noqa: D102
        return self.lr_d, self.lr_g


class GradientClipping(Trick):
    """Clip both players' gradient norms to ``max_norm`` before each optimiser step."""

    name, acts_on = "gradient_clipping", "update"

    def __init__(self, max_norm: float = 1.0) -> None:
        _check(math.isfinite(max_norm) and max_norm > 0, f"gradient clipping max_norm must be positive (got {max_norm})")
        self.max_norm = max_norm

    def clip(self, model: nn.Module) -> None:  # noqa: D102
        nn.utils.clip_grad_norm_(model.parameters(), self.max_norm)


class UnrolledDiscriminator(Trick):
    """Unrolled GAN (Metz et al., 2017), first-order form: before each G update D takes
    ``steps`` extra updates on fresh batches; G is updated against that *future* D; then
    D and its optimiser are put back exactly as they were.  The paper also
    back-propagates through the unrolled updates; this version does not (much cheaper,
    and it keeps the idea).  Each G step costs ``steps`` extra D steps."""

    name, acts_on = "unrolled", "g_phase"

    def __init__(self, steps: int = 3) -> None:
        _check(int(steps) >= 1, f"unrolled steps must be >= 1 (got {steps})")
        self.steps = int(steps)

    @contextlib.contextmanager
    def around(self, d_phase) -> Iterator[None]:  # noqa: D102
        saved = copy.deepcopy(d_phase.module.state_dict()), copy.deepcopy(d_phase.optimizer.state_dict())
        for _ in range(self.steps):
            d_phase.step()
        try:
            yield
        finally:
            d_phase.module.load_state_dict(saved[0])
            d_phase.optimizer.load_state_dict(saved[1])


# name -> (what it does, the class; None for the architecture tricks of modules.networks)
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
    """Build the tricks named in ``names`` (architecture tricks are skipped: they are
    chosen when D is built); ``params`` maps a name to its keyword arguments."""
    tricks = []
    for name in names:
        if name not in TRICKS:
            raise ValueError(f"unknown trick {name!r}; choose from {', '.join(TRICKS)}")
        cls = TRICKS[name][1]
        if cls is not None:
            tricks.append(cls(**params.get(name, {})))
    return tricks
