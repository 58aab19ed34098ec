"""
Six GAN losses on the same 2-D task
===================================

Lesson :ref:`module-12-1-4-gan-losses`, script 1 of 2.

Every loss of :mod:`modules.losses` trains the same small generator and
discriminator on the *ring of 8*: eight Gaussian blobs (standard deviation 0.02) on a
circle of radius 2.  Only the objective (and, for the two Wasserstein losses, the
optimiser settings their papers prescribe) changes between the runs.

First, though, no training at all: why did the original minimax generator loss have to
be replaced?

Run it yourself::

    python gan_losses.py                    # full preset: the constants below
    python gan_losses.py --preset docs      # the quick run this page shows
    python gan_losses.py --losses minimax,non_saturating --steps 4000
    python gan_losses.py --losses wgan_gp --n-critic 1 --save-samples wgan_gp.npy
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--losses``, ``--target``, ``--steps``,
# ``--batch-size``, ``--lr``, ``--n-critic``, ``--penalty-weight``, ``--weight-clip``,
# ``--workers``, ``--seed``).  ``LR`` is the Adam learning rate of the four
# classic losses; the Wasserstein losses use their papers' optimisers (see
# :data:`modules.toy2d.PAPER_SETTINGS`) with ``N_CRITIC`` critic steps per
# generator step.

LOSSES = "minimax,non_saturating,lsgan,hinge,wgan,wgan_gp"
TARGET = "ring"  # ring (8 modes) or grid (25 modes)
STEPS = 6000  # generator steps
BATCH_SIZE = 128
LR = 1e-3
N_CRITIC = 5  # critic steps per generator step (wgan, wgan_gp)
PENALTY_WEIGHT = 10.0  # lambda of WGAN-GP
WEIGHT_CLIP = 0.01  # c of the original WGAN
WORKERS = 0  # training processes at once; 0: one per CPU core
SEED = 0
DOCS_PRESET = {"steps": 2000}

# %%
import torch

from modules.cli import Option, at_least, fail, name_list, non_negative, one_of, parse_script_args, positive, save_samples
from modules.data import toy_target
from modules.losses import LOSSES as KNOWN_LOSSES
from modules.losses import get_loss
from modules.plotting import plot_2d_progress, plot_coverage_bars, plot_curves
from modules.toy2d import ToyRecipe, loss_recipe, note_device, save_samples_option, toy_options, toy_runs_or_exit

args = parse_script_args(
    [
        Option("losses", name_list(LOSSES), name_list, "comma-separated losses to compare", one_of(list(KNOWN_LOSSES))),
        *toy_options(TARGET, STEPS, BATCH_SIZE, LR, WORKERS, lr_help="Adam learning rate of the classic losses"),
        Option("n_critic", N_CRITIC, int, "critic steps per generator step (Wasserstein losses)", at_least(1)),
        Option("penalty_weight", PENALTY_WEIGHT, float, "gradient penalty weight lambda (wgan_gp)", non_negative),
        Option("weight_clip", WEIGHT_CLIP, float, "weight clipping bound c (wgan)", positive),
        save_samples_option("the last loss's"),
    ],
    DOCS_PRESET,
    description="Train the same 2-D GAN with each loss and compare mode coverage.",
    seed=SEED,
)
if not args.losses:
    fail("--losses needs at least one loss name")
print(f"preset={args.preset} target={args.target} steps={args.steps} losses={','.join(args.losses)}")
note_device(args.device)

# %%
# Why the non-saturating loss
# ---------------------------
# Early in training D rejects the fakes confidently: D(G(z)) is close to 0.  The
# original minimax generator minimises :math:`\log(1 - D(G(z)))`, whose slope with
# respect to D's logit is :math:`-D(G(z))`: almost zero exactly when G is worst.  The
# non-saturating generator maximises :math:`\log D(G(z))` instead; its slope is
# :math:`1 - D(G(z))`, largest when G is worst.  The curves below are not drawn
# from the formulas: autograd differentiates the real loss objects of
# :mod:`modules.losses` at each value of D(G(z)).

p = torch.linspace(0.001, 0.999, 199, dtype=torch.float64)


def generator_gradient(loss_name: str) -> torch.Tensor:
    """|d loss_G / d logit| for a batch of fakes that D scores p (one sample each)."""
    logits = torch.logit(p).clone().requires_grad_(True)
    loss = get_loss(loss_name)
    loss.g_loss(logits).backward()
    return (logits.grad * len(p)).abs()  # g_loss averages over the batch


grads = {name: generator_gradient(name) for name in ("minimax", "non_saturating")}
fig = plot_curves(
    {"minimax: log(1 - D(G(z)))": (p, grads["minimax"]), "non-saturating: -log D(G(z))": (p, grads["non_saturating"])},
    label="saturation",
    xlabel="D(G(z)): D's belief that a fake is real",
    ylabel="|gradient for G| (per sample, w.r.t. D's logit)",
    title="The generator's gradient under the two losses",
)
for name, g in grads.items():
    print(f"{name:>15}: |gradient| {g[p.sub(0.01).abs().argmin()]:.2f} at D(G(z)) = 0.01, {g[p.sub(0.99).abs().argmin()]:.2f} at 0.99")

# %%
# One task, six objectives
# ------------------------
# Each run is a :class:`~modules.toy2d.ToyRecipe` that differs from the others only
# in its loss (plus the Wasserstein losses' optimiser settings).  The runs are
# independent, so :func:`~modules.toy2d.toy_runs` trains them in parallel worker
# processes; each is seeded on its own, so the numbers do not depend on the number
# of workers.

base = ToyRecipe(target=args.target, steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
runs = toy_runs_or_exit(
    lambda: [
        loss_recipe(base, name, n_critic=args.n_critic, penalty_weight=args.penalty_weight, weight_clip=args.weight_clip)
        for name in args.losses
    ],
    workers=args.workers or None,
)

target = toy_target(args.target)
print(f"\n{'loss':<15} {'modes':>6} {'high quality':>13}  monitor")
for run in runs:
    c = run.coverage
    warnings = "healthy" if run.health.healthy else ", ".join(sorted(run.health.first_seen, key=run.health.first_seen.get))
    print(f"{run.recipe.loss:<15} {c.modes_covered:>3}/{c.num_modes:<2} {100 * c.high_quality:>12.1f}%  {warnings}")

# %%
# Samples over training
# ---------------------
# Each row is one loss, each column the same 500 fixed noise vectors pushed through G
# at one moment of training.  The blue circles mark the eight modes, drawn with the
# radius (3 standard deviations) within which a sample counts as high quality.

fig = plot_2d_progress({r.recipe.loss: r.snapshots for r in runs}, target, label="samples_by_loss")

# %%
# Coverage
# --------
# 2,500 fresh samples per run, scored as in the mode-collapse literature: the
# number of modes with at least 20 high-quality samples, and the share of samples
# within 3 standard deviations of a mode centre.

fig = plot_coverage_bars(
    [r.recipe.loss for r in runs],
    [r.coverage.modes_covered for r in runs],
    target.num_modes,
    [r.coverage.high_quality for r in runs],
    label="coverage_by_loss",
    title=f"{args.target}: modes covered and high-quality share after {args.steps} generator steps",
)
save_samples(args.save_samples, runs[-1].samples)
