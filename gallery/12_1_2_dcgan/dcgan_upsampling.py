"""
Checkerboard artefacts: transposed convolutions vs resize-then-convolve
=======================================================================

Lesson :ref:`module-12-1-2-dcgan`, script 3 of 3.

A stride-2 transposed convolution paints each input pixel's kernel onto the output
two pixels apart.  Output pixels in even and odd rows and columns are therefore
computed from *different* kernel weights, and unless training makes those weights
agree, a faint grid with a period of two pixels is stamped onto every image: the
checkerboard artefact (Odena et al., 2016).  Resizing first (nearest neighbour) and
then applying an ordinary 3x3 convolution computes every output pixel the same way.

The transposed-convolution generator here is the DCGAN that ``dcgan_train.py``
trains (loaded from the model cache, or trained on the spot when missing).  Next to
it, the same recipe with ``upsample="resize"`` trains for a shorter run; the script
measures how much of each generator's output repeats every two pixels, from
initialisation through training, and shows the samples side by side.

Run it yourself::

    python dcgan_upsampling.py                  # full preset: MNIST at 64x64
    python dcgan_upsampling.py --preset docs    # the quick run this page shows
    python dcgan_upsampling.py --preset docs --steps 500
"""

# %%
# Settings
# --------
# ``STEPS`` (``--steps``) is the length of the resize-convolution run; everything else
# is the DCGAN recipe of the chosen preset, so the two generators differ only in
# their upsampling layers.

STEPS = 1000  # training steps of the resize-convolution generator
SEED = 0
DOCS_PRESET = {"steps": 125}

# sphinx_gallery_thumbnail_number = 1

# %%
from dataclasses import replace

import torch

from modules.cli import Option, at_least, or_exit, parse_script_args
from modules.evaluation.metrics import checkerboard_strength
from modules.figures.plotting import plot_curves, plot_image_panels
from modules.figures.output import show_figures
from modules.experiments.dcgan import DCGAN_PRESETS, pretrained_gan
from modules.storage.results import record

args = parse_script_args(
    [Option("steps", STEPS, int, "training steps of the resize-convolution generator", at_least(1))],
    DOCS_PRESET,
    description="Compare transposed-convolution and resize-convolution DCGAN generators.",
    seed=SEED,
)
recipe = replace(DCGAN_PRESETS[args.preset], seed=args.seed)
dataset = or_exit(recipe.load_data)
transposed = or_exit(pretrained_gan, recipe, args.device, dataset)  # the DCGAN of dcgan_train.py
# snapshots at the same steps as the transposed generator's, for a fair comparison
resize_recipe = replace(recipe, upsample="resize", steps=args.steps, ema_decay=0.0, snapshot_every=max(1, recipe.steps // 8))
resize = or_exit(pretrained_gan, resize_recipe, args.device, dataset)  # trained here the first time, then cached
trainers = {"transposed": transposed, "resize": resize}
real, _ = dataset.tensors(torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed))[:1000])  # a random 1000: mnist-5k is stored class by class
print(f"preset={args.preset} data={dataset.name} {recipe.image_size}x{recipe.image_size}: transposed {recipe.steps} steps, resize {args.steps} steps")

# %%
# Before any training
# -------------------
# Freshly initialised generators, same noise.  Their outputs are tiny, so each image
# is contrast-stretched here.  The transposed-convolution generator prints a regular
# grid of dots; the resize-convolution generator makes blocky but grid-free blobs.


def stretch(images):
    lo = images.amin(dim=(1, 2, 3), keepdim=True)
    hi = images.amax(dim=(1, 2, 3), keepdim=True)
    return (images - lo) / (hi - lo).clamp_min(1e-8) * 2 - 1


untrained = {mode: t.history.snapshots[0][1][:16] for mode, t in trainers.items()}  # the snapshot before step 1
fig = plot_image_panels(
    {f"{mode} (untrained)": stretch(x) for mode, x in untrained.items()},
    label="untrained",
    nrow=4,
    title="Untrained generators on the same noise (contrast stretched)",
)
for mode, x in untrained.items():
    print(f"untrained {mode:<10}: checkerboard strength {checkerboard_strength(x):.3f}")
    record(f"untrained_{mode}", checkerboard_strength(x), ".3f")

# %%
# Over training
# -------------
# Both trainers kept G's output on the same fixed noise every few steps.  The
# checkerboard strength is the share of the pixel variance explained by the
# pixel's position in its 2x2 cell: 0 when even and odd rows and columns look
# alike, 1 for a pure two-pixel grid.  Real digits score close to 0.

curves = {
    mode: ([step for step, _ in t.history.snapshots], [checkerboard_strength(x) for _, x in t.history.snapshots])
    for mode, t in trainers.items()
}
curves["real images"] = (curves["transposed"][0], [checkerboard_strength(real)] * len(curves["transposed"][0]))
fig = plot_curves(curves, label="checkerboard_curve", ylabel="checkerboard strength", title="Two-pixel grid in G's output over training")

# %%
# The samples
# -----------
# Same noise for all panels: both generators after the resize run's length, the
# transposed one after its full training, and real digits.  Training pushes the
# transposed generator's grid down, but it starts from a much stronger one.

at = resize.history.snapshots[-1][0]
same_step = min(transposed.history.snapshots, key=lambda snap: abs(snap[0] - at))
panels = {
    f"transposed, step {same_step[0]}": same_step[1],
    f"resize, step {at}": resize.history.snapshots[-1][1],
    f"transposed, step {transposed.epoch}": transposed.sample_fixed(),
    "real": real[:64],
}
fig = plot_image_panels({f"{name}: {checkerboard_strength(x):.3f}": x for name, x in panels.items()}, label="samples", title="Titles: checkerboard strength")
for name, x in panels.items():
    print(f"{name:<22}: checkerboard strength {checkerboard_strength(x):.3f}")
strengths = [checkerboard_strength(x) for x in panels.values()]
record("early_step", at)
for name, value in zip(("transposed_early", "resize_early", "transposed_final", "real"), strengths):
    record(name, value, ".3f")
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
