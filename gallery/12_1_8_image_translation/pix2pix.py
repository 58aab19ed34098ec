"""
pix2pix: from outlines to shaded shapes
=======================================

Lesson :ref:`module-12-1-8-image-translation`, part 1: paired translation.

Every training example is a pair: an outline map (the input) and the rendered scene
it was drawn from (the target).  The generator is a U-Net that translates the
outline; the discriminator is a PatchGAN that judges (output, input) pairs patch by
patch; and next to the adversarial loss, G pays ``L1_WEIGHT`` times its L1 distance
to the target.  The script trains the same pix2pix twice, with that weight and with
0, so you can see what each of the two terms does.

The data is made by code (:func:`modules.data.translation.shape_scenes`), so nothing
is downloaded.  The classic pix2pix data sets (facades, maps, edges2shoes, ...) come
as folders of side-by-side pairs; if you have one, ``--data-dir`` trains on it
(``--direction BtoA`` for facades' label maps -> photos) with the same recipe, which
the paper runs at 256x256 for many thousands of GPU steps.

Run it yourself::

    python pix2pix.py                          # full preset: 64x64 scenes, larger networks
    python pix2pix.py --preset docs            # the quick run this page shows
    python pix2pix.py --preset docs --l1-weight 10
    python pix2pix.py --preset docs --d-layers 1 --steps 2000
    python pix2pix.py --data-dir ~/data/facades/train --direction BtoA --image-size 128
    python pix2pix.py --checkpoint p2p.pt --checkpoint-every 2000   # p2p-l1_gan.pt, p2p-gan_only.pt (every 2000 steps too)
    python pix2pix.py --resume p2p.pt --checkpoint p2p.pt           # go on from both to --steps in total
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--image-size``, ``--scenes``, ``--width``,
# ``--d-width``, ``--d-layers``, ``--l1-weight``, ``--batch-size``, ``--lr``,
# ``--steps``, ``--workers``, ``--seed``; ``--data-dir`` and ``--direction`` for your
# own paired images).  ``--checkpoint``, ``--checkpoint-every`` and ``--resume`` save
# the runs and go on from them, one file per run (the run's name before the suffix).

IMAGE_SIZE = 64
SCENES = 6000  # paired scenes made by code; a fifth of them are held out
WIDTH = 64  # U-Net base channels
D_WIDTH = 64  # PatchGAN base channels
D_LAYERS = 3  # PatchGAN stride-2 layers: 1, 2, 3 -> patches of 16, 34, 70 pixels
L1_WEIGHT = 100.0  # lambda of the L1 term (the paper's value); the comparison run uses 0
BATCH_SIZE = 16
LEARNING_RATE = 2e-4
STEPS = 20000
WORKERS = 0  # training processes at once on a CPU (0: one per core)
SEED = 0
DOCS_PRESET = {"image_size": 32, "scenes": 2000, "width": 16, "d_width": 16, "d_layers": 2, "batch_size": 8, "lr": 1e-3, "steps": 1000}

# sphinx_gallery_thumbnail_number = 2

# %%
from dataclasses import replace

import torch

from modules.cli import or_exit, parse_script_args, recipe_flags
from modules.figures.plotting import plot_curves, plot_image_columns, plot_training_curves
from modules.figures.output import show_figures
from modules.storage.results import record
from modules.data.translation import best_constant_l1, right_colour_share
from modules.networks.translation import receptive_field
from modules.experiments.translation import Pix2PixRecipe, build_pix2pix, held_out_l1, translate
from modules.experiments.workers import checkpoint_options, trained, workers_option

args = parse_script_args(
    [
        *recipe_flags(
            Pix2PixRecipe, image_size=IMAGE_SIZE, scenes=SCENES, data_dir=None,
            direction="AtoB", l1_weight=L1_WEIGHT, width=WIDTH, d_width=D_WIDTH,
            d_layers=D_LAYERS, batch_size=BATCH_SIZE, lr=LEARNING_RATE, steps=STEPS,
        ),
        workers_option(WORKERS),
        *checkpoint_options(several=True),
    ],
    DOCS_PRESET,
    description="Train pix2pix (U-Net + PatchGAN + L1) to turn outline maps into shaded scenes.",
    seed=SEED,
)
recipe = args.recipe
train, held_out = or_exit(recipe.data)
print(f"preset={args.preset} device={args.device}: {len(train)} training pairs, {len(held_out)} held out, {args.image_size}x{args.image_size}"
      + (f" from {args.data_dir}" if args.data_dir else ""))

# %%
# The pairs
# ---------
# Inputs are one-pixel outlines; targets colour each shape by its kind (circles red,
# squares green, triangles blue), shade it by a light from the upper left and drop
# a shadow on the floor.  Everything in the target is decided by the outline, but
# the generator must work out which side of each line is inside and which kind of
# shape the line belongs to.

show = slice(0, 6)
fig = plot_image_columns(
    {f"pair {i + 1}": torch.stack([held_out.inputs[i].expand_as(held_out.targets[i]), held_out.targets[i]]) for i in range(len(held_out.inputs[show]))},
    label="pairs",
    title="Held-out pairs",
    row_names=["input\n(outline)", "target"],
)

# %%
# Training: with and without the L1 term
# --------------------------------------
# The same recipe twice, once with ``l1_weight`` = 0.  Both runs train at the
# same time in two worker processes when the machine has two cores
# (:func:`modules.experiments.workers.trained`), and are cached: the next run of this script
# loads them.

plain = replace(recipe, l1_weight=0.0)
recipes = {"L1 + GAN": recipe, "GAN only": plain} if recipe.l1_weight > 0 else {"GAN only": recipe}
runs = dict(zip(recipes, or_exit(
    trained, "pix2pix", list(recipes.values()), build_pix2pix, workers=args.workers or None, device=args.device, progress=args.progress,
    names=list(recipes), checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every, resume=args.resume,
)))
main = runs["L1 + GAN" if recipe.l1_weight > 0 else "GAN only"]
patch = record("patch", receptive_field(args.d_layers))
print(f"PatchGAN: {args.d_layers} stride-2 layers, each logit sees a {patch}x{patch} patch")

# %%
# Held-out error
# --------------
# The mean absolute pixel error on pairs the networks never saw, against the best
# answer that ignores the input: the per-pixel median of the targets.

constant = best_constant_l1(held_out.targets)
errors = {name: held_out_l1(trainer, held_out) for name, trainer in runs.items()}
print(f"best constant output: held-out L1 {constant:.4f}")
for name, error in errors.items():
    weight = recipes[name].l1_weight
    share = f" ({error / constant:.0%} of the constant's)" if constant > 0 else ""  # a single held-out pair is its own median
    print(f"{name} (L1 weight {weight:g}): held-out L1 {error:.4f}{share}")

KEYS = {"L1 + GAN": "l1", "GAN only": "plain"}  # the names the lesson's results go by
record("constant", constant, ".4f")
for name, error in errors.items():
    record(f"{KEYS[name]}_error", error, ".4f")
    if constant > 0:
        record(f"{KEYS[name]}_share", error / constant, ".0%")

# %%
# The right colour?
# -----------------
# The colour says which kind of shape the generator took an outline for.  For every
# visible shape of the held-out scenes, the output's strongest channel over the shape
# (red, green or blue) is compared with its kind's colour
# (:func:`~modules.data.translation.right_colour_share`; the targets score 100%, a guess
# about a third).

if held_out.scenes:  # scenes made by code: every shape's kind is known
    for name, trainer in runs.items():
        share = right_colour_share(translate(trainer.generator, held_out.inputs), held_out.scenes)
        print(f"{name}: the right colour for {record(f'{KEYS[name]}_right_colour', share, '.0%')} of the held-out shapes")

# %%
# Outputs over training
# ---------------------
# Each column is the generator of the L1 + GAN run at one point of its training,
# translating the same held-out outlines.  The coarse layout (where the shapes
# are) arrives first; colours and shading follow.

epochs = [epoch for epoch, _ in main.history.weights]
columns = {"input": held_out.inputs[show]}
curves = {}
for name, trainer in runs.items():
    errs = [held_out_l1(trainer, held_out, trainer.generator_at(epoch)) for epoch in epochs]
    curves[name] = (epochs, errs)
    record(KEYS[name] + "_curve", errs)  # held-out L1 at each kept generator
record("curve_steps", epochs)
for epoch in epochs:
    columns[f"step {epoch}"] = translate(main.generator_at(epoch), held_out.inputs[show])
columns["target"] = held_out.targets[show]
fig = plot_image_columns(columns, label="outputs_over_training", title=f"{list(runs)[0]}: held-out outlines over training")

# %%
# What each term does
# -------------------
# Side by side on the same held-out outlines.  Without the L1 term, D only asks
# "is this a plausible rendering of *this* outline?", and G is free to pick colours
# a patch-sized D cannot check; with it, G is also pulled towards *the* target.

if len(runs) == 2:
    fig = plot_image_columns(
        {
            "input": held_out.inputs[show],
            "GAN only": translate(runs["GAN only"].generator, held_out.inputs[show]),
            f"L1 ({recipe.l1_weight:g}) + GAN": translate(runs["L1 + GAN"].generator, held_out.inputs[show]),
            "target": held_out.targets[show],
        },
        label="l1_effect",
        title="The L1 term's effect",
    )
curves["best constant"] = ([epochs[0], epochs[-1]], [constant, constant])
fig = plot_curves(curves, label="held_out_error", ylabel="held-out L1 error", title="Error on held-out pairs over training")

# %%
# Losses and D's beliefs
# ----------------------
# D's beliefs concern (output, input) pairs, averaged over all patches.

fig = plot_training_curves(main.history, label="training_curves", smooth=25, equilibrium=False)  # not the plain log loss
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
