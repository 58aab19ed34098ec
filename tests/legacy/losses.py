# FROZEN COPY of the trainer before issue 16, kept only for tests/test_game_equivalence.py; deleted with it.
"""GAN objectives as small objects the trainer calls.

A loss turns discriminator outputs into two numbers to minimise: one for D (given its
outputs on a real batch and on a fake batch) and one for G (given D's outputs on a
fake batch).  Swapping the objective of a script is one argument to the trainer
(``get_loss("hinge")``, a ``--loss`` flag).

Every loss is also a :class:`~modules.tricks.Trick`, so an objective that needs more
than the two batches of outputs plugs into the same hooks as the training tricks:
WGAN-GP adds a gradient penalty (:meth:`~modules.tricks.Trick.d_penalty`), the
original WGAN clips the critic's weights after each update
(:meth:`~modules.tricks.Trick.after_d_update`).  The number of critic updates per
generator update (``n_critic``) is the trainer's ``TrainConfig(d_steps=...)``.

==================  ===================================================  ============================
loss                D (or critic) minimises                              G minimises
==================  ===================================================  ============================
``minimax``         BCE(D(x), 1) + BCE(D(G(z)), 0)                       log(1 - D(G(z))) (saturates)
``non_saturating``  same                                                 -log D(G(z))
``lsgan``           ((D(x) - 1)^2 + D(G(z))^2) / 2                       (D(G(z)) - 1)^2 / 2
``hinge``           relu(1 - D(x)) + relu(1 + D(G(z)))                   -D(G(z))
``wgan``            D(G(z)) - D(x), weights clipped to [-c, c]           -D(G(z))
``wgan_gp``         D(G(z)) - D(x) + lambda (norm(grad D(x_hat)) - 1)^2  -D(G(z))
==================  ===================================================  ============================

(Every term is averaged over the batch; D(.) is the raw output, squashed by a sigmoid
where the table says BCE or log.)

Introduced in lesson 12.1.1 (GAN Architecture); the other objectives in lesson 12.1.4
(GAN Losses and Wasserstein GANs).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from legacy.tricks import Trick

if TYPE_CHECKING:  # pragma: no cover
    from legacy.training import GANTrainer

__all__ = [
    "GANLoss",
    "NonSaturatingLoss",
    "MinimaxLoss",
    "LeastSquaresLoss",
    "HingeLoss",
    "WassersteinLoss",
    "WassersteinGPLoss",
    "interpolates",
    "input_gradient_norms",
    "L1Reconstruction",
    "LOSSES",
    "get_loss",
]


class GANLoss(Trick):
    """Interface: ``d_loss(real_out, fake_out, real_target, fake_target)`` and
    ``g_loss(fake_out)``.

    ``uses_labels`` says whether D is trained towards targets ("real" = 1, "fake" =
    0): only then do label smoothing and noisy labels mean anything.
    ``outputs_probability`` says whether :meth:`probability` is a probability (the
    health monitor's thresholds need one) or a raw critic score.
    """

    name = "base"
    uses_labels = True
    outputs_probability = True

    def d_loss(
        self,
        real_logits: torch.Tensor,
        fake_logits: torch.Tensor,
        real_target: torch.Tensor | float = 1.0,
        fake_target: torch.Tensor | float = 0.0,
    ) -> torch.Tensor:
        r"""D's binary cross-entropy: label real as 1 and fake as 0.

        Minimising it maximises :math:`\log D(x) + \log(1 - D(G(z)))`, D's side of the
        minimax game.  The two terms are summed, as in the lesson's training loop.
        Other targets (0.9 for one-sided label smoothing, flipped labels) are passed
        as ``real_target`` / ``fake_target`` (numbers or tensors shaped like the
        outputs).
        """
        real = F.binary_cross_entropy_with_logits(real_logits, _target(real_target, real_logits))
        fake = F.binary_cross_entropy_with_logits(fake_logits, _target(fake_target, fake_logits))
        return real + fake

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        """D's belief that its input is real, for the history (D(x), D(G(z)))."""
        return torch.sigmoid(logits)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _target(value: torch.Tensor | float, like: torch.Tensor) -> torch.Tensor:
    if torch.is_tensor(value):
        return value.to(like).expand_as(like)
    return torch.full_like(like, float(value))


class NonSaturatingLoss(GANLoss):
    r"""The loss used in practice: G maximises :math:`\log D(G(z))`.

    Written as binary cross-entropy of fake samples against the *real* label.  Its
    gradient is large when D confidently rejects the fakes, which is exactly early in
    training, when G needs it most.
    """

    name = "non_saturating"

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class MinimaxLoss(GANLoss):
    r"""The original minimax objective: G minimises :math:`\log(1 - D(G(z)))`.

    Returned as the negative of D's fake term, so G's loss is ``-BCE(fake, 0)``.  It
    *saturates*: when D rejects the fakes with confidence the gradient vanishes.
    """

    name = "minimax"

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


class LeastSquaresLoss(GANLoss):
    r"""LSGAN (Mao et al., 2017): D regresses real to 1 and fake to 0, G pushes its
    fakes' score towards 1.

    D: :math:`\tfrac12 E[(D(x) - 1)^2] + \tfrac12 E[D(G(z))^2]`;
    G: :math:`\tfrac12 E[(D(G(z)) - 1)^2]`.  A fake that D already calls real but
    that lies far from the data still gets a gradient (the square keeps growing),
    where the sigmoid of the BCE losses would have flattened out.  D's output is
    itself its estimate of "realness", so :meth:`probability` returns it unchanged.
    """

    name = "lsgan"

    def d_loss(self, real_logits, fake_logits, real_target=1.0, fake_target=0.0):  # noqa: D102
        real = F.mse_loss(real_logits, _target(real_target, real_logits))
        fake = F.mse_loss(fake_logits, _target(fake_target, fake_logits))
        return 0.5 * (real + fake)

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * F.mse_loss(fake_logits, torch.ones_like(fake_logits))

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        return logits


class _ScoreLoss(GANLoss):
    """Losses on raw scores, with no targets to smooth or flip."""

    uses_labels = False

    def d_loss(self, real_logits, fake_logits, real_target=1.0, fake_target=0.0):  # noqa: D102
        if not (_is_default(real_target, 1.0) and _is_default(fake_target, 0.0)):
            raise ValueError(f"the {self.name} loss has no labels: label smoothing and noisy labels do not apply")
        return self.score_loss(real_logits, fake_logits)

    def score_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()


def _is_default(value: Any, default: float) -> bool:
    return not torch.is_tensor(value) and float(value) == default


class HingeLoss(_ScoreLoss):
    r"""Hinge loss (Lim & Ye, 2017; used by SN-GAN and BigGAN).

    D: :math:`E[\max(0, 1 - D(x))] + E[\max(0, 1 + D(G(z)))]`; G: :math:`-E[D(G(z))]`.
    D stops pushing a sample once it is beyond the margin (score above 1 for real,
    below -1 for fake), so it spends its capacity on the samples it still gets wrong.
    """

    name = "hinge"

    def score_loss(self, real_logits, fake_logits):  # noqa: D102
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


class WassersteinLoss(_ScoreLoss):
    r"""WGAN (Arjovsky et al., 2017): a *critic* scores samples, unbounded.

    Critic: :math:`E[D(G(z))] - E[D(x)]`; G: :math:`-E[D(G(z))]`.  With D restricted
    to 1-Lipschitz functions, :math:`\max_D E[D(x)] - E[D(G(z))]` is the
    Wasserstein-1 (earth mover's) distance between the data and G's distribution, so
    the critic's estimate ``D(x) - D(G(z))`` (the history's ``d_real - d_fake``)
    tracks how far G still is.  The original recipe enforces the restriction crudely:
    every weight is clipped to ``[-clip, clip]`` after each critic update.
    ``clip=None`` skips the clipping (use it with a gradient penalty instead).
    """

    name = "wgan"
    outputs_probability = False

    def __init__(self, clip: float | None = 0.01) -> None:
        if clip is not None and not (math.isfinite(clip) and clip > 0):
            raise ValueError(f"weight clip must be a positive number (got {clip})")
        self.clip = clip

    def score_loss(self, real_logits, fake_logits):  # noqa: D102
        return fake_logits.mean() - real_logits.mean()

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        """The raw critic score (not a probability)."""
        return logits

    @torch.no_grad()
    def after_d_update(self, trainer: GANTrainer) -> None:
        if self.clip is not None:
            for p in trainer.discriminator.parameters():
                p.clamp_(-self.clip, self.clip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(clip={self.clip})"


def interpolates(real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Random points on the straight lines between paired real and fake samples:
    :math:`\hat x = \epsilon x + (1 - \epsilon) \tilde x` with **one**
    :math:`\epsilon \sim U[0, 1]` per sample (shape ``(n, 1, 1, ...)``), not one per
    pixel: a per-pixel mix would land off the line WGAN-GP's argument is about."""
    eps = torch.rand((len(real),) + (1,) * (real.ndim - 1), generator=generator).to(real)
    return eps * real + (1 - eps) * fake


def input_gradient_norms(discriminator: torch.nn.Module, x: torch.Tensor, cond: tuple = (), create_graph: bool = False) -> torch.Tensor:
    """``|grad_x D(x)|``, one norm per critic output: how steep the critic is where it
    is evaluated.  A 1-Lipschitz critic has norms of at most 1; WGAN-GP pushes them
    to exactly 1 between data and fakes.

    Usually D scores every sample and the result has shape ``(n,)``.  A critic that
    scores groups of samples (a :class:`~modules.networks.mlp.PackedDiscriminator` sees
    ``n // pack`` packs) gets one norm per group, taken over the whole group's input:
    the Lipschitz constraint is about what the critic actually reads."""
    x = x.detach().requires_grad_(True)
    out = discriminator(x, *cond)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph)
    return grad.reshape(out.numel(), -1).norm(dim=1)


class WassersteinGPLoss(WassersteinLoss):
    r"""WGAN-GP (Gulrajani et al., 2017): the Wasserstein loss with a gradient
    penalty instead of weight clipping.

    Critic: :math:`E[D(G(z))] - E[D(x)] + \lambda E[(\lVert\nabla_{\hat x} D(\hat
    x)\rVert - 1)^2]` at points :math:`\hat x` between real and fake samples (see
    :func:`interpolates`), :math:`\lambda` = ``penalty_weight`` (10 in the paper).
    Use it with several critic steps per generator step (``n_critic = 5``) and Adam
    with betas (0, 0.9), as the paper does, and without BatchNorm in the critic (the
    penalty is per sample).  ``last_penalty`` keeps the most recent penalty value.
    """

    name = "wgan_gp"

    def __init__(self, penalty_weight: float = 10.0) -> None:
        super().__init__(clip=None)
        if not (math.isfinite(penalty_weight) and penalty_weight >= 0):
            raise ValueError(f"penalty weight must be >= 0 (got {penalty_weight})")
        self.penalty_weight = penalty_weight
        self.last_penalty = float("nan")

    def d_penalty(self, real: torch.Tensor, fake: torch.Tensor, cond: tuple, trainer: GANTrainer) -> torch.Tensor | None:
        if self.penalty_weight == 0:  # no penalty: skip the costly double backward
            return None
        x_hat = interpolates(real.detach(), fake.detach(), generator=trainer.rng)
        norms = input_gradient_norms(trainer.discriminator, x_hat, cond, create_graph=True)
        penalty = ((norms - 1.0) ** 2).mean()
        self.last_penalty = penalty.item()
        return self.penalty_weight * penalty

    def __repr__(self) -> str:
        return f"{type(self).__name__}(penalty_weight={self.penalty_weight})"


class L1Reconstruction(Trick):
    """pix2pix's second term (Isola et al., 2017): ``weight`` times the mean absolute
    difference between G's output and the target paired with its input, added to G's
    adversarial loss.  The adversarial term makes outputs look real (sharp); the L1
    term makes them match *this* input's target (right layout and colours), and
    alone it would give blurry averages.  The paper's weight is 100.  Needs a trainer
    with paired data (``GANTrainer(paired=True)``), which keeps the targets of G's
    batch in ``trainer.g_targets``.  Introduced in lesson 12.1.8.
    """

    name = "l1"

    def __init__(self, weight: float = 100.0) -> None:
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(f"the L1 weight must be a number >= 0 (got {weight})")
        self.weight = float(weight)
        self.last_l1: float | None = None  # the unweighted L1 error of G's last batch

    def setup(self, trainer: GANTrainer) -> None:
        if not trainer.paired:
            raise ValueError("the L1 term compares G's output with a paired target: it needs GANTrainer(paired=True)")

    def g_penalty(self, fake: torch.Tensor, cond: tuple, trainer: GANTrainer) -> torch.Tensor | None:
        l1 = (fake - trainer.g_targets).abs().mean()
        self.last_l1 = l1.item()
        return self.weight * l1 if self.weight > 0 else None

    def __repr__(self) -> str:
        return f"L1Reconstruction(weight={self.weight})"


LOSSES: dict[str, type[GANLoss]] = {
    cls.name: cls for cls in (NonSaturatingLoss, MinimaxLoss, LeastSquaresLoss, HingeLoss, WassersteinLoss, WassersteinGPLoss)
}


def get_loss(name: str, **params: Any) -> GANLoss:
    """Build a loss by name (what a ``--loss`` flag passes), for example
    ``get_loss("wgan_gp", penalty_weight=10)``."""
    try:
        cls = LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}") from None
    return cls(**params)
