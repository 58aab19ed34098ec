"""
A GAN that learns to generate numbers
=====================================

Lesson :ref:`module-12-1-1-gan-architecture`, script 1 of 2.

The smallest complete GAN: a generator learns to turn random noise into numbers that
look as if they were drawn from the Gaussian N(DATA_MEAN, DATA_STDDEV²), and a
discriminator learns to tell its numbers from real ones.  Nothing but the two networks
and the game between them.

Run it yourself::

    python gan_architecture.py                 # full preset: the constants below
    python gan_architecture.py --preset docs   # the quick run this page shows
    python gan_architecture.py --data-mean 0 --lr 1e-3 --d-steps 15 --g-steps 5

Adapted from the idea of Dev Nag's "GANs in 50 lines of code" (Apache-2.0): a
discriminator that judges *groups* of numbers through their statistics.
"""

# %%
# Settings
# --------
# The constants the exercises ask you to change.  Each is also a command-line flag
# (``--data-mean``, ``--data-stddev``, ``--lr``, ``--d-steps``, ``--g-steps``,
# ``--epochs``, ``--batch-size``, ``--group-size``, ``--seed``); a flag beats the
# constant.  The site build runs ``--preset docs``, which replaces the training budget
# (epochs, batch and group size) with ``DOCS_PRESET``.

DATA_MEAN = 4.0  # the real data: numbers from N(DATA_MEAN, DATA_STDDEV^2)
DATA_STDDEV = 1.25
LEARNING_RATE = 5e-3  # Adam, for both networks; decays linearly to 0 over training
D_STEPS = 10  # discriminator updates per epoch
G_STEPS = 10  # generator updates per epoch
EPOCHS = 1000  # one epoch = D_STEPS + G_STEPS updates on fresh samples
BATCH_SIZE = 8000  # numbers per batch, real or fake
GROUP_SIZE = 2000  # D judges groups of this many numbers (BATCH_SIZE // GROUP_SIZE groups)
SEED = 0
# The site build trains less, on smaller groups (noisier statistics, 5x less compute):
DOCS_PRESET = {"epochs": 400, "batch_size": 2000, "group_size": 500}

# sphinx_gallery_thumbnail_number = 1

# %%
import functools

import torch

from modules.cli import Option, at_least, fail, parse_script_args, positive, train_or_exit
from modules.data.synthetic import GaussianTarget, normal_noise
from modules.evaluation.metrics import first_epoch_within, sample_stats
from modules.networks.mlp import BatchStatsDiscriminator, MLPGenerator
from modules.storage.results import record
from modules.figures.plotting import draw_gan_diagram, plot_1d_progress, plot_1d_results
from modules.figures.output import show_figures
from modules.game.config import TrainConfig
from modules.game.history import EvalEvery
from modules.game.loop import GANTrainer
from modules.game.runtime import seed_everything

args = parse_script_args(
    [
        Option("data_mean", DATA_MEAN, float, "mean of the target Gaussian"),
        Option("data_stddev", DATA_STDDEV, float, "standard deviation of the target Gaussian", positive),
        Option("lr", LEARNING_RATE, float, "learning rate of both networks", positive),
        Option("d_steps", D_STEPS, int, "discriminator updates per epoch", at_least(1)),
        Option("g_steps", G_STEPS, int, "generator updates per epoch", at_least(1)),
        Option("epochs", EPOCHS, int, "training epochs", at_least(1)),
        Option("batch_size", BATCH_SIZE, int, "numbers per batch", at_least(1)),
        Option("group_size", GROUP_SIZE, int, "numbers per group the discriminator judges", at_least(2)),
    ],
    DOCS_PRESET,
    description="Train a GAN to generate numbers from N(mean, std^2).",
    seed=SEED,
)
if args.batch_size % args.group_size:
    fail(f"--batch-size ({args.batch_size}) must be a multiple of --group-size ({args.group_size})")
print(f"preset={args.preset} device={args.device} epochs={args.epochs} lr={args.lr:g} d_steps={args.d_steps} g_steps={args.g_steps}")

# %%
# The generator, before any training
# -----------------------------------
# The generator G is a small fully connected network: one random number in, one number
# out, two hidden layers of 16 units with tanh.  Its weights are random, so its output
# is some arbitrary function of the noise, nowhere near the target yet.

seed_everything(args.seed)
generator = MLPGenerator(latent_dim=1, out_shape=(1,), hidden=(16, 16), activation="tanh")
noise = normal_noise(100, dim=1)  # 100 random inputs z ~ N(0, 1)
output = generator(noise).detach()
print(f"Generated {len(output)} numbers")
print(f"Mean: {output.mean():.2f}, Std: {output.std():.2f}")
record("untrained_mean", output.mean().item(), ".2f")
record("untrained_std", output.std().item(), ".2f")

# %%
# The two players
# ---------------
# The discriminator D has to say "real" or "fake".  A single number cannot be judged on
# its own (3.7 is a perfectly likely draw from N(4, 1.25) *and* from many other
# distributions), so D looks at a **group** of ``GROUP_SIZE`` numbers at a time and
# judges it through four statistics: mean, standard deviation, skewness and kurtosis.
# That is what :class:`~modules.networks.mlp.BatchStatsDiscriminator` does before its own
# small MLP outputs one logit per group.

fig = draw_gan_diagram()

# %%
# Training: the adversarial game
# ------------------------------
# Each epoch, D takes ``D_STEPS`` updates (real groups should score 1, fake groups 0),
# then G takes ``G_STEPS`` updates (its fakes should score 1).  The shared
# :class:`~modules.game.loop.GANTrainer` runs the loop; the
# :class:`~modules.game.history.EvalEvery` callback measures 10,000 fresh samples now and
# then and prints a progress line.

target = GaussianTarget(args.data_mean, args.data_stddev)
discriminator = BatchStatsDiscriminator(group_size=args.group_size, hidden=(32, 32))
config = TrainConfig(
    num_epochs=args.epochs,
    batch_size=args.batch_size,
    lr=args.lr,
    lr_decay="linear",
    d_steps=args.d_steps,
    g_steps=args.g_steps,
    seed=args.seed,
    device=args.device,
    snapshot_every=max(1, args.epochs // 8),
    num_snapshot_samples=5000,
    progress=args.progress,
)


def measure(trainer):
    """Mean and std of 10,000 fresh samples (always the same noise, for comparability)."""
    return sample_stats(trainer.sample(10_000, generator=torch.Generator().manual_seed(args.seed + 2)))


def describe(epoch, record, stats):
    return (
        f"epoch {epoch:5d}  D loss {record['d_loss']:.3f}  G loss {record['g_loss']:.3f}  "
        f"D(x) {record['d_real']:.2f}  D(G(z)) {record['d_fake']:.2f}  "
        f"generated mean {stats[0]:6.3f}  std {stats[1]:.3f}"
    )


tracker = EvalEvery(max(1, args.epochs // 16), measure, describe)
trainer = GANTrainer(generator, discriminator, target, functools.partial(normal_noise, dim=1), config, callbacks=[tracker])
history = train_or_exit(trainer, cache="gan_architecture")

reached = first_epoch_within(tracker.results, args.data_mean, args.data_stddev, tolerance=0.1)
print(f"mean and std within 0.1 of the target from epoch {reached} on" if reached else "mean and std not within 0.1 of the target at the end")
# what the lesson says about the progress lines and the losses
progress = [(epoch, m, s) for epoch, (m, s) in tracker.results]
record("progress", progress)  # (epoch, generated mean, std) of every progress line
record("first_epoch", progress[0][0])
record("first_mean", progress[0][1], ".3f")
record("largest_miss", max(abs(m - args.data_mean) for _, m, _ in progress[1:]), ".2f")
record("within_from", reached)
record("early_min_d_loss", min(history.d_loss[: max(1, args.epochs // 8)]), ".3f")  # D's loss falls at first...


def late_mean(values):
    """...and settles: the mean over the last quarter of training."""
    values = values[-max(1, args.epochs // 4) :]
    return sum(values) / len(values)


record("late_d_loss", late_mean(history.d_loss), ".3f")
record("late_g_loss", late_mean(history.g_loss), ".3f")
record("late_d_real", late_mean(history.d_real), ".3f")
record("late_d_fake", late_mean(history.d_fake), ".3f")

# %%
# Results
# -------
# Left: a histogram of 10,000 generated numbers over the target density.  Middle: the
# losses, with dotted lines where they sit when D can no longer tell real from fake
# (D(x) = D(G(z)) = 1/2 gives D a loss of 2 ln 2 ≈ 1.386 and G ln 2 ≈ 0.693).  Right:
# D's average verdict on real and fake groups.

samples = trainer.sample(10_000, generator=torch.Generator().manual_seed(args.seed + 2))
fig = plot_1d_results(samples, target, history)

# %%
# The same noise, epoch by epoch
# ------------------------------
# Histograms of G's output on one fixed batch of 5,000 noise values, before training
# (epoch 0: the narrow spike of the untrained generator) and at several points of
# training: the mean and the spread head for the target within the first few dozen
# epochs, then wobble around it while the learning rate is still large.

fig = plot_1d_progress(history.snapshots, target)

# %%
# The numbers
# -----------
# The lesson quotes this last line.

mean, std = sample_stats(samples)
record("final_mean", mean, ".3f")
record("final_std", std, ".3f")
# the histogram's shape: the share of samples within half a target std of the target
# mean (0.383 for the Gaussian itself), and the excess kurtosis (0 for a Gaussian)
center = (samples - args.data_mean).abs().lt(0.5 * args.data_stddev).float().mean().item()
record("center_share", center, ".3f")
if center > 0.393:
    record("histogram_shape", "a little too peaked in the middle")
elif center < 0.373:
    record("histogram_shape", "a little too flat in the middle")
else:
    record("histogram_shape", "about as peaked in the middle as the Gaussian")
z = (samples.double() - mean) / std
record("excess_kurtosis", z.pow(4).mean().item() - 3.0, ".2f")
print(f"final: mean={mean:.3f} std={std:.3f} (10,000 samples; target mean={args.data_mean:g} std={args.data_stddev:g})")
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
