"""
Six GAN losses on the same 2-D task
===================================

Lesson :ref:`module-12-1-4-gan-losses`, script 1 of 2.

Every objective of :mod:`modules.game.objective` trains the same small generator and
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
# :data:`modules.experiments.toy2d.PAPER_SETTINGS`) with ``N_CRITIC`` critic steps per
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

# sphinx_gallery_thumbnail_number = 2

# %%
import torch

from modules.cli import Option, recipe_flags, fail, name_list, one_of, parse_script_args, save_samples
from modules.data.synthetic import toy_target
from modules.game.objective import OBJECTIVES as KNOWN_LOSSES
from modules.game.objective import named_objective
from modules.evaluation.metrics import mode_coverage
from modules.figures.plotting import plot_2d_progress, plot_coverage_bars, plot_curves
from modules.figures.output import show_figures
from modules.storage.results import record
from modules.experiments.toy2d import ToyRecipe, loss_recipe, note_device, save_samples_option, toy_runs_or_exit
from modules.experiments.workers import workers_option

args = parse_script_args(
    [
        Option("losses", name_list(LOSSES), name_list, "comma-separated losses to compare", one_of(list(KNOWN_LOSSES))),
        *recipe_flags(
            ToyRecipe, target=TARGET, steps=STEPS, batch_size=BATCH_SIZE, lr=LR,
            n_critic=N_CRITIC, penalty_weight=PENALTY_WEIGHT, weight_clip=WEIGHT_CLIP,
            helps={"lr": "Adam learning rate of the classic losses"},
        ),
        workers_option(WORKERS),
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
# :mod:`modules.game.losses` at each value of D(G(z)).

p = torch.linspace(0.001, 0.999, 199, dtype=torch.float64)


def generator_gradient(loss_name: str) -> torch.Tensor:
    """|d loss_G / d logit| for a batch of fakes that D scores p (one sample each)."""
    logits = torch.logit(p).clone().requires_grad_(True)
    loss = named_objective(loss_name).loss
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
    low, high = g[p.sub(0.01).abs().argmin()].item(), g[p.sub(0.99).abs().argmin()].item()
    record(f"{name}_gradient_at_001", low, ".2f")
    record(f"{name}_gradient_at_099", high, ".2f")
    print(f"{name:>15}: |gradient| {low:.2f} at D(G(z)) = 0.01, {high:.2f} at 0.99")

# %%
# One task, six objectives
# ------------------------
# Each run is a :class:`~modules.experiments.toy2d.ToyRecipe` that differs from the others only
# in its loss (plus the Wasserstein losses' optimiser settings).  The runs are
# independent, so :func:`~modules.experiments.toy2d.toy_runs` trains them in parallel worker
# processes; each is seeded on its own, so the numbers do not depend on the number
# of workers.

runs = toy_runs_or_exit(lambda: [loss_recipe(args.recipe, name, n_critic=args.n_critic) for name in args.losses], workers=args.workers or None)

target = toy_target(args.target)
print(f"\n{'loss':<15} {'modes':>6} {'high quality':>13}  monitor")
for run in runs:
    c = run.coverage
    warnings = "healthy" if run.health.healthy else ", ".join(sorted(run.health.first_seen, key=run.health.first_seen.get))
    print(f"{run.recipe.loss:<15} {c.modes_covered:>3}/{c.num_modes:<2} {100 * c.high_quality:>12.1f}%  {warnings}")

# %%
# What the lesson quotes
# ----------------------
# The runs trained in worker processes; what the lesson says about them is recorded
# here, from the results they returned: the table's numbers, the smallest spread the
# health monitor saw after its warm-up, and where each run's samples were at each
# snapshot: the mode nearest to their centre (the median), how far that centre lies
# from it, the share of high-quality samples and the modes they touch.  A narrow
# cloud whose nearest mode changes from one snapshot to the next is *hopping*.

record("num_modes", target.num_modes)
centres = target.centre_tensor().double()
by_loss = {}
for run in runs:
    name, c = run.recipe.loss, run.coverage
    record(f"{name}_modes", c.modes_covered)
    record(f"{name}_high_quality", 100 * c.high_quality, ".1f")
    record(f"{name}_monitor", "healthy" if run.health.healthy else ", ".join(sorted(run.health.first_seen, key=run.health.first_seen.get)))
    judged = [s for step, s in zip(run.health.steps, run.health.spread) if step > run.health.warmup_steps]
    record(f"{name}_lowest_spread", min(judged) if judged else float("nan"), ".2f")
    tracks = {"step": [], "nearest_mode": [], "offset": [], "high_quality": [], "modes_touched": []}
    for step, x in run.snapshots:
        x = x.double()
        centre = x.median(dim=0).values
        distances = torch.cdist(centre[None], centres)[0]
        snap = mode_coverage(x, centres, target.std, min_count=max(1, 20 * len(x) // 2500))
        tracks["step"].append(int(step))
        tracks["nearest_mode"].append(int(distances.argmin()))
        tracks["offset"].append(round(float(distances.min()), 3))
        tracks["high_quality"].append(round(snap.high_quality, 4))
        tracks["modes_touched"].append(snap.modes_covered)
    record(f"{name}_snapshots", tracks)
    trained = list(zip(tracks["nearest_mode"], tracks["high_quality"]))[1:]  # after the untrained start
    hops = sum(a != b for (a, _), (b, _) in zip(trained, trained[1:]))
    record(f"{name}_hops", hops)
    record(f"{name}_most_on_modes", 100 * max(q for _, q in trained), ".1f")
    by_loss[name] = (c.modes_covered, hops, max(q for _, q in trained), run.health.first_seen)

if "minimax" in by_loss and "non_saturating" in by_loss:
    m, n = by_loss["minimax"][0], by_loss["non_saturating"][0]
    record("minimax_against_non_saturating", "more modes than" if m > n else "fewer modes than" if m < n else "as many modes as")
flagged = {name: v[0] for name, v in by_loss.items() if "g_collapsing" in v[3]}
if flagged:
    best = max(flagged, key=flagged.get)
    record(
        "flagged_and_covering",
        f"the {best} run was flagged and still covers {flagged[best]} of {target.num_modes} modes at the end"
        if flagged[best]
        else "every flagged run also ends with no mode covered: here flag and end agree",
    )
if "non_saturating" in by_loss:
    _, hops, on_modes, _ = by_loss["non_saturating"]
    snapshots = len(runs[0].snapshots) - 1
    on = "not one of its samples lies" if on_modes == 0 else f"at most {100 * on_modes:.1f}% of its samples lie"
    moves = f"the mode nearest to their centre changes {hops} times" if hops else "their centre stays near the same mode"
    motion = f"in the {snapshots} snapshots after the start {on} on a mode, and {moves}"
    record("non_saturating_motion", motion)

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
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
