"""
From numbers to images: a GAN that draws 8x8 lines
==================================================

Lesson :ref:`module-12-1-1-gan-architecture`, script 2 of 2.

The same adversarial game as in ``gan_architecture.py``, one step closer to images:
the real data are 8x8 pictures of a single horizontal or vertical line (16 possible
pictures), the generator outputs 64 pixels instead of one number, and the
discriminator judges whole images.

Run it yourself::

    python gan_patterns.py                 # full preset: the constants below
    python gan_patterns.py --preset docs   # the quick run this page shows
    python gan_patterns.py --g-steps 1 --lr-d 1e-3
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--latent-dim``, ``--lr``, ``--lr-d``, ``--d-steps``,
# ``--g-steps``, ``--epochs``, ``--batch-size``, ``--seed``).  The two learning rates
# and the step ratio are the "balance" tips of the lesson: D learns at half G's rate,
# and G takes two steps for each of D's.

LATENT_DIM = 2  # size of the noise vector z
LEARNING_RATE = 1e-3  # generator (Adam)
D_LEARNING_RATE = 5e-4  # discriminator (Adam): slower, so it does not overpower G
D_STEPS = 1
G_STEPS = 2
EPOCHS = 3000
BATCH_SIZE = 512  # images per batch, real or fake
SEED = 0
DOCS_PRESET = {"batch_size": 256}  # the site build: same epochs, half the batch

# sphinx_gallery_thumbnail_number = 2

# %%
import functools

import matplotlib.pyplot as plt
import torch

from modules.cli import Option, at_least, parse_script_args, positive, train_or_exit
from modules.data.synthetic import LinePatterns, line_pattern_bank, nearest_line_pattern, normal_noise
from modules.evaluation.metrics import clean_line_share, line_patterns_covered
from modules.networks.mlp import MLPDiscriminator, MLPGenerator
from modules.figures.plotting import plot_losses, plot_pattern_grid, plot_pattern_progress
from modules.figures.output import show_figures
from modules.storage.results import record
from modules.game.config import TrainConfig
from modules.game.loop import GANTrainer
from modules.game.runtime import seed_everything

args = parse_script_args(
    [
        Option("latent_dim", LATENT_DIM, int, "size of the noise vector", at_least(1)),
        Option("lr", LEARNING_RATE, float, "generator learning rate", positive),
        Option("lr_d", D_LEARNING_RATE, float, "discriminator learning rate", positive),
        Option("d_steps", D_STEPS, int, "discriminator updates per epoch", at_least(1)),
        Option("g_steps", G_STEPS, int, "generator updates per epoch", at_least(1)),
        Option("epochs", EPOCHS, int, "training epochs", at_least(1)),
        Option("batch_size", BATCH_SIZE, int, "images per batch", at_least(2)),
    ],
    DOCS_PRESET,
    description="Train a GAN to draw 8x8 horizontal and vertical lines.",
    seed=SEED,
)
print(f"preset={args.preset} device={args.device} epochs={args.epochs} lr={args.lr:g} lr_d={args.lr_d:g} d_steps={args.d_steps} g_steps={args.g_steps}")

# %%
# The real data
# -------------
# Sixteen pictures: a line in one of the 8 rows or one of the 8 columns.  Pixels are
# -1 (background) or +1 (ink), the range of a Tanh output.  Every real batch draws
# them uniformly at random.

real_data = LinePatterns(size=8)
fig = plot_pattern_grid(line_pattern_bank(8)[:8], line_pattern_bank(8)[8:], label="real_patterns")
title = fig.suptitle("All 16 real patterns: the 8 horizontal lines (top) and the 8 vertical lines")

# %%
# The two players
# ---------------
# G: ``LATENT_DIM`` noise numbers -> 128 -> 128 -> 64 pixels, LeakyReLU, BatchNorm in
# the hidden layers and Tanh on the output, reshaped to 1x8x8.  D: the 64 pixels (plus
# one number, explained below) -> 128 -> 128 -> one logit.  Both are the
# :mod:`modules.networks.mlp` families that also played the 1-D game.
#
# D also sees the *minibatch standard deviation*: the spread of the batch its image
# came in.  A generator that draws the same picture over and over produces batches
# with no spread, which D then spots at once.

seed_everything(args.seed)
generator = MLPGenerator(
    args.latent_dim, out_shape=(1, 8, 8), hidden=(128, 128), activation="leaky_relu", out_activation="tanh", batch_norm=True
)
discriminator = MLPDiscriminator(in_shape=(1, 8, 8), hidden=(128, 128), minibatch_std=True)

# %%
# Training
# --------
# The same :class:`~modules.game.loop.GANTrainer` as the 1-D script, with two learning
# rates and a snapshot of G's output on fixed noise every few hundred epochs.

report_every = max(1, args.epochs // 6)  # snapshots and loss summaries
config = TrainConfig(
    num_epochs=args.epochs,
    batch_size=args.batch_size,
    lr=args.lr,
    lr_d=args.lr_d,
    lr_decay="linear",
    d_steps=args.d_steps,
    g_steps=args.g_steps,
    seed=args.seed,
    device=args.device,
    snapshot_every=report_every,
    num_snapshot_samples=24,
    progress=args.progress,
)
trainer = GANTrainer(generator, discriminator, real_data, functools.partial(normal_noise, dim=args.latent_dim), config)
history = train_or_exit(trainer, cache="gan_patterns")
for start in range(0, args.epochs, report_every):
    end = min(args.epochs, start + report_every)
    d_loss = sum(history.d_loss[start:end]) / (end - start)
    g_loss = sum(history.g_loss[start:end]) / (end - start)
    print(f"epochs {start + 1:5d}-{end:5d}  mean D loss {d_loss:.3f}  mean G loss {g_loss:.3f}")

# %%
# Real vs generated
# -----------------
# The top row holds real patterns; below are samples of the trained generator on the
# fixed noise, framed green when they are *clean* lines (every pixel within 0.5 of a
# single-line pattern, see :func:`~modules.data.synthetic.is_clean_line`) and red otherwise.

fig = plot_pattern_grid(real_data(8, generator=torch.Generator().manual_seed(args.seed)), trainer.sample_fixed())

# %%
# Over training, and the losses
# -----------------------------
# The same noise vectors (columns) at several epochs (rows): blurry blobs first, then
# strokes, then lines.

fig = plot_pattern_progress(history.snapshots)

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
fig.set_label("losses")
plot_losses(ax, history)

# %%
# The numbers
# -----------
# 1,000 fresh samples: how many are clean lines, and how many of the 16 patterns
# appear among the clean ones.

samples = trainer.sample(1000, generator=torch.Generator().manual_seed(args.seed + 2))
share = clean_line_share(samples)
covered = line_patterns_covered(samples)
print(f"clean lines: {share:.1%} of 1000 generated samples; patterns covered: {covered} of 16")
record("clean_share", share, ".1%")
record("covered", covered)
# which patterns: indices 0-7 are the horizontal lines, 8-15 the vertical ones
index, error = nearest_line_pattern(samples)
drawn = sorted(set(index[error < 0.5].tolist()))
horizontal, vertical = sum(i < 8 for i in drawn), sum(i >= 8 for i in drawn)
record("patterns_drawn", drawn)
record("horizontal", horizontal)
record("vertical", vertical)
if covered == 16:
    which = "all 16 patterns"
elif vertical == 0:
    which = f"only {'the 8' if horizontal == 8 else horizontal} horizontal ones"
elif horizontal == 0:
    which = f"only {'the 8' if vertical == 8 else vertical} vertical ones"
else:
    which = f"only {covered} of the 16 patterns ({horizontal} horizontal, {vertical} vertical)"
record("which_patterns", which)
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
