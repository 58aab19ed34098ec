"""
Walking the latent space of a trained DCGAN
===========================================

Lesson :ref:`module-12-1-2-dcgan`, script 2 of 3.

A trained generator turns every point of its latent space into an image.  This script
walks between points, in a straight line and along the sphere where the noise
actually lives, animates a walk through several points, and checks that the
generator is not simply copying its training images: each sample is shown next to
its nearest training images.

It needs the DCGAN that ``dcgan_train.py`` trains.  It finds it in the model cache
(``~/.cache/gan-course/models``, or ``$GAN_COURSE_CACHE``) and trains it itself when
it is not there yet, so the scripts can run in any order.

Run it yourself::

    python dcgan_latent.py                       # the full preset's DCGAN (MNIST, 64x64)
    python dcgan_latent.py --preset docs         # the docs preset's DCGAN (offline digits)
    python dcgan_latent.py --checkpoint my.pt    # a GAN saved by dcgan_train.py --checkpoint
    python dcgan_latent.py --preset docs --interpolation-steps 12 --pairs 6
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--pairs``, ``--interpolation-steps``,
# ``--keyframes``, ``--frames-between``, ``--samples``, ``--neighbours``, ``--seed``).

PAIRS = 4  # pairs of latent vectors to interpolate between
INTERPOLATION_STEPS = 10  # images per interpolation, both ends included
KEYFRAMES = 4  # latent points the animation loops through
FRAMES_BETWEEN = 8  # animation frames from one keyframe to the next
SAMPLES = 8  # generated images checked against the training set
NEIGHBOURS = 3  # nearest training images shown per sample
CHECKPOINT = None  # a file from dcgan_train.py --checkpoint; None: the preset's DCGAN
SEED = 0
DOCS_PRESET = {}

# sphinx_gallery_thumbnail_number = 1

# %%
from pathlib import Path

import torch

from modules.cli import Option, at_least, or_exit, parse_script_args
from modules.data.synthetic import interpolate
from modules.evaluation.metrics import nearest_neighbours
from modules.figures.plotting import plot_nearest_neighbours, plot_strips, strip_animation
from modules.figures.output import show_figures
from modules.experiments.dcgan import DCGAN_PRESETS, load_gan, pretrained_gan
from modules.storage.results import record

args = parse_script_args(
    [
        Option("pairs", PAIRS, int, "pairs of latent vectors", at_least(1)),
        Option("interpolation_steps", INTERPOLATION_STEPS, int, "images per interpolation", at_least(2)),
        Option("keyframes", KEYFRAMES, int, "points the animation visits", at_least(2)),
        Option("frames_between", FRAMES_BETWEEN, int, "frames between two points", at_least(1)),
        Option("samples", SAMPLES, int, "generated images to check for copying", at_least(1)),
        Option("neighbours", NEIGHBOURS, int, "nearest training images per sample", at_least(1)),
        Option("checkpoint", CHECKPOINT, str, "GAN checkpoint from dcgan_train.py --checkpoint"),
    ],
    DOCS_PRESET,
    description="Interpolate in a trained DCGAN's latent space and check it does not copy its data.",
    seed=SEED,
)
if args.checkpoint:
    trainer, recipe = or_exit(load_gan, args.checkpoint, args.device)
    source = Path(args.checkpoint).expanduser().resolve()  # the full path
else:
    recipe = DCGAN_PRESETS[args.preset]
    trainer = or_exit(pretrained_gan, recipe, args.device)
    source = f"the {args.preset} preset of dcgan_train.py"
dataset = recipe.load_data()
print(f"generator: {source}, trained {trainer.epoch} steps on {dataset.name} at {recipe.image_size}x{recipe.image_size}")
use_ema = trainer.ema_generator is not None  # sample the moving average when there is one
rng = torch.Generator().manual_seed(args.seed)
z = trainer.noise_sampler(2 * args.pairs, generator=rng)

# %%
# Straight line or great circle?
# ------------------------------
# Each pair of rows walks from one latent vector to another in
# ``INTERPOLATION_STEPS`` steps.  The straight line (``linear``) passes through
# vectors much shorter than any the generator saw in training (the middle of the
# line has about 71% of the typical length); the spherical path (``slerp``) keeps
# the length typical.  Watch the middle columns: they are where the two differ.

strips = {}
for p in range(args.pairs):
    for mode in ("linear", "slerp"):
        path = interpolate(z[2 * p], z[2 * p + 1], args.interpolation_steps, mode)
        strips[f"pair {p + 1}, {mode}"] = trainer.generate(path, ema=use_ema)
fig = plot_strips(strips, label="interpolation", title="From the left image to the right one, two ways")
middle = interpolate(z[0], z[1], 3, "linear")[1].norm() / z[:2].norm(dim=1).mean()
print(f"length of the straight line's midpoint relative to its ends: {middle:.0%}")
record("midpoint_length", middle.item(), ".0%")

# %%
# An animated walk
# ----------------
# Eight walkers, each looping through ``KEYFRAMES`` random latent points along great
# circles.  Every frame is a valid sample; the digits morph smoothly from one to the
# next, which is what a well-trained generator's latent space should look like.
# (The page plays the frames with JavaScript; no video encoder is needed.)

walkers = 8
keys = trainer.noise_sampler(walkers * args.keyframes, generator=rng).view(args.keyframes, walkers, -1)
frames = []
for k in range(args.keyframes):
    a, b = keys[k], keys[(k + 1) % args.keyframes]  # loop back to the start
    paths = torch.stack([interpolate(a[w], b[w], args.frames_between + 1, "slerp")[:-1] for w in range(walkers)], dim=1)
    for path in paths:  # (walkers, dim) per frame
        frames.append(trainer.generate(path, ema=use_ema))
animation = strip_animation(torch.stack(frames), label="latent_walk", nrow=walkers)
print(f"animation: {len(frames)} frames of {walkers} walkers")

# %%
# Is it copying?
# --------------
# A generator that memorised its training set would produce near-copies of training
# images.  For each sample (top row) the rows below show the closest training
# images in pixel distance.  The printed numbers compare the distance of samples to
# their nearest training image with the distance of training images to *their*
# nearest other training image: similar distances mean new images, not copies.

train_images, _ = dataset.tensors()
samples = trainer.sample(args.samples, generator=rng, ema=use_ema)
dist, idx = nearest_neighbours(samples, train_images, k=args.neighbours)
fig = plot_nearest_neighbours(samples, train_images[idx], dist, label="nearest_neighbours")
many = trainer.sample(500, generator=rng, ema=use_ema)
gen_nn = nearest_neighbours(many, train_images, k=1)[0].median().item()
subset = train_images[torch.randperm(len(train_images), generator=rng)[:500]]
real_nn = nearest_neighbours(subset, train_images, k=1, exclude_self=True)[0].median().item()
print(f"median distance to the nearest training image: generated {gen_nn:.2f}, training images {real_nn:.2f}")
record("generated_nn", gen_nn, ".2f")
record("training_nn", real_nn, ".2f")
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
