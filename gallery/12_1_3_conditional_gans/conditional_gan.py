"""
Conditional GAN: asking for a particular digit
==============================================

Lesson :ref:`module-12-1-3-conditional-gans`.

The DCGAN of lesson 12.1.2 with one change on each side: the generator receives a
learned embedding of the class label next to its noise, and the discriminator
receives the label as an extra image channel.  D now judges "is this a real image
*of this digit*?", so G must draw the digit it was asked for.  The script draws a
grid with one row per digit and one column per noise vector, and measures with a
digit classifier how often G delivers the digit that was asked for.

Run it yourself::

    python conditional_gan.py                    # full preset: MNIST at 64x64
    python conditional_gan.py --preset docs      # the quick run this page shows
    python conditional_gan.py --preset docs --digit 7
    python conditional_gan.py --dataset fashion-mnist --digit 9   # class 9: ankle boots
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--dataset``, ``--image-size``, ``--channels``, ``--latent-dim``,
# ``--width``, ``--batch-size``, ``--lr``, ``--steps``, ``--ema-decay``,
# ``--columns``, ``--digit``, ``--seed``).

DATASET = "mnist"  # mnist-5k (offline), digits (offline), mnist, fashion-mnist; or --data-dir with class folders
IMAGE_SIZE = 64
CHANNELS = 1  # 3: colour, for a --data-dir folder of colour images
LATENT_DIM = 100
WIDTH = 64
BATCH_SIZE = 128
LEARNING_RATE = 2e-4
STEPS = 3000
EMA_DECAY = 0.999
COLUMNS = 8  # noise vectors in the class-by-noise grid
DIGIT = None  # a class (0-9) to draw a whole page of; None: skip that figure
SEED = 0
DOCS_PRESET = {"dataset": "mnist-5k", "image_size": 32, "width": 32, "batch_size": 64, "lr": 2e-3, "steps": 1000, "ema_decay": 0.99}

# sphinx_gallery_thumbnail_number = 1

# %%
import torch

from modules.cli import at_least, fail, Option, or_exit, parse_script_args, recipe_flags, sample_png_options, tensorboard_callbacks, tensorboard_option
from modules.evaluation.metrics import pixel_spread
from modules.figures.plotting import plot_class_grid, plot_image_panels, plot_training_curves
from modules.figures.output import export_samples, show_figures
from modules.evaluation.classifier import ClassifierRecipe, classify, held_out_images, pretrained_classifier
from modules.experiments.dcgan import GANRecipe, pretrained_gan
from modules.storage.results import record
from modules.game.history import EvalEvery


def digit(value):
    return None if 0 <= value <= 9 else "must be a class index from 0 to 9"


args = parse_script_args(
    [
        *recipe_flags(
            GANRecipe, fixed={"conditional": True}, dataset=DATASET, data_dir=None, image_size=IMAGE_SIZE, channels=CHANNELS, latent_dim=LATENT_DIM,
            width=WIDTH, batch_size=BATCH_SIZE, lr=LEARNING_RATE, steps=STEPS,
            ema_decay=EMA_DECAY,
        ),
        *sample_png_options(),
        tensorboard_option(),
        Option("columns", COLUMNS, int, "noise vectors per class in the grid", at_least(1)),
        Option("digit", DIGIT, int, "draw 64 samples of this class", digit),
    ],
    DOCS_PRESET,
    description="Train a conditional DCGAN and generate the digit you ask for.",
    seed=SEED,
)
recipe = args.recipe
dataset = or_exit(recipe.load_data)
if dataset.num_classes == 0:
    fail(f"{args.data_dir} has no class sub-folders; a conditional GAN needs labelled images")
if args.digit is not None and args.digit >= dataset.num_classes:
    fail(f"--digit {args.digit} is not a class of this dataset (0 to {dataset.num_classes - 1})")
print(f"preset={args.preset} device={args.device} data={dataset.name}: {len(dataset)} images in {dataset.num_classes} classes")

# %%
# Training
# --------
# :func:`modules.experiments.dcgan.build_gan` with ``conditional=True`` gives both networks a
# label input (``num_classes``) and tells the trainer to pass labels: real images
# come with their own, the fakes in D's step get the same labels, and in G's step
# the labels are drawn uniformly.  The trained GAN goes into the model cache
# (``gan_metrics.py`` of lesson 12.1.7 evaluates it), and comes from there, with the
# lines its training printed, when this recipe was trained before.


def report(step, record, _):
    return f"step {step:5d}: D(x|y)={record['d_real']:.2f} D(G(z|y)|y)={record['d_fake']:.2f} G loss={record['g_loss']:.3f}"


log = EvalEvery(max(1, recipe.steps // 5), lambda t: None, report)
trainer = or_exit(pretrained_gan, recipe, args.device, dataset, callbacks=[log, *tensorboard_callbacks(args.tensorboard, recipe.steps)], progress=args.progress)  # from the model cache when trained before
history = trainer.history
use_ema = trainer.ema_generator is not None

# %%
# One row per class, one column per noise vector
# ----------------------------------------------
# Every column uses the same noise vector z for all classes, so the label alone
# decides the digit while z decides the style: thickness, slant, size.  A red frame
# marks an image the classifier did not recognise as its row's digit.

judge_recipe = ClassifierRecipe(dataset=dataset.name)
judge, accuracy = pretrained_classifier(judge_recipe) if dataset.name != "folder" else (None, None)
rng = torch.Generator().manual_seed(args.seed + 5)
z = trainer.noise_sampler(args.columns, generator=rng)
k = dataset.num_classes
grid_z = z.repeat(k, 1)  # row by row: class 0 with z1..zC, class 1 with z1..zC, ...
grid_labels = torch.arange(k).repeat_interleave(args.columns)
grid = trainer.generate(grid_z, grid_labels, ema=use_ema)
marks = classify(judge, grid) == grid_labels if judge is not None else None
fig = plot_class_grid(grid, dataset.class_names, label="class_grid", marks=marks)
fig.suptitle(f"Conditional DCGAN ({dataset.name}, {recipe.image_size}x{recipe.image_size})\nrows are labels, columns are noise vectors")

# %%
# Losses and D's beliefs
# ----------------------
# The same curves as for the unconditional DCGAN: D's beliefs now concern
# image-label pairs.

fig = plot_training_curves(history, label="training_curves", smooth=25)
window = max(1, min(25, len(history.d_real)))  # 25-step averages (fewer on a very short run)
d_real, d_fake = (torch.tensor(getattr(history, key), dtype=torch.float64).unfold(0, window, 1).mean(dim=1) for key in ("d_real", "d_fake"))
gap = d_real - d_fake  # D's lead, 25-step averages
last = max(1, len(gap) // 5)
record("early_gap", gap[: max(1, len(gap) // 2)].max().item(), ".2f")  # D's largest lead in the first half
record("late_d_real", d_real[-last:].mean().item(), ".2f")  # the last fifth of the run
record("late_d_fake", d_fake[-last:].mean().item(), ".2f")

# %%
# Does G draw the digit it is asked for?
# --------------------------------------
# 1,000 samples, 100 per class, each judged by the digit classifier (trained on the
# real training digits; its accuracy on the held-out real digits is printed).  The
# last line asks the same question of those held-out real digits: how often the judge
# reads a real digit as its label is the ceiling to compare the samples with.


def shares_by_class(hits, labels):
    """The share of hits among the images of each class 0-9."""
    return [hits[labels == c].float().mean().item() for c in range(10)]


if judge is not None:
    real_images, real_labels = held_out_images(judge_recipe).tensors()
    labels = torch.arange(1000) % 10
    samples = trainer.sample(1000, generator=rng, labels=labels, ema=use_ema)
    hits = classify(judge, samples) == labels
    per_class = shares_by_class(hits, labels)
    print(f"digit classifier: {accuracy:.1%} accurate on held-out real images")
    print("recognised per class: " + " ".join(f"{name}={share:.0%}" for name, share in zip(dataset.class_names, per_class)))
    print(f"samples recognised as the digit asked for: {hits.float().mean().item():.1%} of 1000")
    record("classifier_accuracy", accuracy, ".1%")
    record("recognised", hits.float().mean().item(), ".1%")
    record("per_class", dict(zip(dataset.class_names, per_class)))
    ranked = sorted(zip(per_class, dataset.class_names))
    record("worst_class", ranked[0][1])
    record("worst_share", ranked[0][0], ".0%")
    real_hits = classify(judge, real_images) == real_labels  # the judge on held-out real digits: the ceiling
    real_per_class = shares_by_class(real_hits, real_labels)
    print(f"held-out real digits recognised: {real_hits.float().mean().item():.1%} of {len(real_hits)}, worst class {min(real_per_class):.0%}")
    record("real_worst_share", min(real_per_class), ".0%")
    # variety inside each class: the samples' spread against the real digits' of that class
    ratios = [pixel_spread(samples[labels == c]) / pixel_spread(real_images[real_labels == c]) for c in range(10)]
    print("spread within each class, samples / held-out real: " + " ".join(f"{name}={r:.2f}" for name, r in zip(dataset.class_names, ratios)))
    record("spread_ratio", sum(ratios) / len(ratios), ".2f")
    record("spread_lowest", f"{min(ratios):.2f} (the {dataset.class_names[ratios.index(min(ratios))]}s)")
    record("weakest", " and ".join(f"the {name}s ({share:.0%})" for share, name in ranked[:2]))

# %%
# A page of one digit
# -------------------
# ``--digit K`` draws 64 samples of class K only (not run for the page you are
# reading: try ``python conditional_gan.py --preset docs --digit 7``).

if args.digit is not None:
    one = trainer.sample(64, generator=rng, labels=torch.full((64,), args.digit), ema=use_ema)
    fig = plot_image_panels({f"class {dataset.class_names[args.digit]}": one}, label="one_digit")
    if judge is not None:
        print(f"--digit {args.digit}: {(classify(judge, one) == args.digit).float().mean().item():.0%} of 64 samples recognised")
export_samples(trainer, args.sample_pngs, args.sample_count, args.seed, classes=dataset.num_classes)  # --sample-pngs DIR: PNG files for FID tools
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
