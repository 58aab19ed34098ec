"""
CycleGAN: restyling digits without a single pair
================================================

Lesson :ref:`module-12-1-8-image-translation`, part 2: unpaired translation.

Domain A holds plain handwritten digits; domain B holds digits in another style
(dark-blue, thicker strokes on cream paper), made from a *different* half of the
digits, so no image has its twin on the other side.  CycleGAN learns both
directions at once: two U-Net generators (A -> B and B -> A), two PatchGAN
discriminators, a least-squares adversarial loss, and two extra terms: the cycle
loss (A -> B -> A should give back the A image) and the identity loss (a B image
fed to the A -> B generator should come out unchanged).  The script trains it twice,
with the cycle term and without, and checks the results against the correct
translations, which this made-up data, unlike real unpaired data, can tell us.

The data is made by code (:func:`modules.data.translation.digit_styles`); the
classic CycleGAN data sets (horse2zebra, summer2winter, monet2photo) use the same
recipe at 256x256.

Run it yourself::

    python cyclegan.py                          # full preset: MNIST at 64x64, larger networks (downloads MNIST once)
    python cyclegan.py --preset docs            # the quick run this page shows (offline MNIST digits, 32x32)
    python cyclegan.py --preset docs --identity-weight 0
    python cyclegan.py --preset docs --depth 5  # a U-Net that can move content around
    python cyclegan.py --checkpoint cg.pt --checkpoint-every 1000   # cg-cycle.pt, cg-gan_only.pt (every 1000 steps too)
    python cyclegan.py --resume cg.pt --checkpoint cg.pt            # go on from both to --steps in total
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--dataset``, ``--image-size``, ``--style``, ``--width``,
# ``--depth``, ``--d-width``, ``--d-layers``, ``--cycle-weight``,
# ``--identity-weight``, ``--history``, ``--batch-size``, ``--lr``, ``--steps``,
# ``--workers``, ``--seed``).  ``--checkpoint``, ``--checkpoint-every`` and ``--resume``
# save the runs and go on from them, one file per run (the run's name before the suffix).

DATASET = "mnist"  # the digits of both domains: mnist-5k (offline), digits (scikit-learn's 8x8, offline), mnist
IMAGE_SIZE = 64
STYLE = "inverted-thick-blue"  # domain B (modules.data.translation.STYLES)
WIDTH = 32  # U-Net base channels
DEPTH = 3  # U-Net down-sampling steps (2 .. log2(IMAGE_SIZE))
D_WIDTH = 64  # PatchGAN base channels
D_LAYERS = 3  # PatchGAN stride-2 layers
CYCLE_WEIGHT = 10.0  # lambda of the cycle term (the paper's value); the comparison run uses 0
IDENTITY_WEIGHT = 0.5  # identity term, as a fraction of CYCLE_WEIGHT (the paper's 0.5)
HISTORY = 50  # earlier translations the discriminators are also shown
BATCH_SIZE = 8
LEARNING_RATE = 2e-4
STEPS = 10000
WORKERS = 0  # training processes at once on a CPU (0: one per core)
SEED = 0
DOCS_PRESET = {"dataset": "mnist-5k", "image_size": 32, "width": 16, "depth": 2, "d_width": 16, "d_layers": 2, "lr": 5e-4, "steps": 600}

# sphinx_gallery_thumbnail_number = 2

# %%
import math
from dataclasses import replace

import torch

from modules.cli import or_exit, parse_script_args, recipe_flags
from modules.figures.plotting import plot_image_columns, plot_image_panels, plot_training_curves
from modules.figures.output import show_figures
from modules.evaluation.classifier import ClassifierRecipe, pretrained_classifier
from modules.storage.results import record
from modules.experiments.translation import CycleGANRecipe, build_cyclegan, cycle_report, train_domain_classifier, translate
from modules.experiments.workers import checkpoint_options, trained, workers_option

args = parse_script_args(
    [
        *recipe_flags(
            CycleGANRecipe, dataset=DATASET, image_size=IMAGE_SIZE, style=STYLE, depth=DEPTH,
            cycle_weight=CYCLE_WEIGHT, identity_weight=IDENTITY_WEIGHT, history=HISTORY,
            width=WIDTH, d_width=D_WIDTH, d_layers=D_LAYERS, batch_size=BATCH_SIZE,
            lr=LEARNING_RATE, steps=STEPS,
        ),
        workers_option(WORKERS),
        *checkpoint_options(several=True),
    ],
    DOCS_PRESET,
    description="Train a CycleGAN between plain digits and restyled digits, from unpaired samples.",
    seed=SEED,
)
recipe = args.recipe
domains = or_exit(recipe.data)
print(
    f"preset={args.preset} device={args.device} data={recipe.dataset}: domain A {len(domains.a)} digits, domain B {len(domains.b)} other digits"
    f" ({args.style}), {len(domains.test_a)} held out, {args.image_size}x{args.image_size}"
)

# %%
# Two domains, no pairs
# ---------------------
# A batch of each.  The digits of B are not the digits of A restyled: they are other
# people's digits.  Nothing tells the networks which B goes with which A.

rng = torch.Generator().manual_seed(args.seed + 5)
sample_a, sample_b = domains.sample_pair(16, generator=rng)
fig = plot_image_panels({"domain A: digits": sample_a, f"domain B: {args.style}": sample_b}, label="domains", nrow=4)

# %%
# Training: with and without the cycle loss
# -----------------------------------------
# The same recipe twice, once with ``cycle_weight`` = 0, which also switches off
# the identity term (it is a fraction of the cycle weight).  Both runs train at the
# same time in two worker processes on a 2-core machine, and are cached.

plain = replace(recipe, cycle_weight=0.0)
recipes = {"cycle": recipe, "GAN only": plain} if recipe.cycle_weight > 0 else {"GAN only": recipe}
runs = dict(zip(recipes, or_exit(
    trained, "cyclegan", list(recipes.values()), build_cyclegan, workers=args.workers or None, device=args.device, progress=args.progress,
    names=list(recipes), checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every, resume=args.resume,
)))
main = runs["cycle" if recipe.cycle_weight > 0 else "GAN only"]

# %%
# Checking the translations
# -------------------------
# Three judges, all on held-out digits:
#
# * the **cycle error**: the mean absolute pixel error of the round trips, against
#   the error of a "round trip" that returns some other digit, and the share of round
#   trips that land nearer their own start than any other held-out image;
# * a **domain classifier**, a small CNN trained here on real A and real B images:
#   does an A -> B translation look like B?
# * the **digit classifier** of lesson 12.1.2: is the B -> A translation of a 7
#   still a 7?
#
# And one judge real unpaired data never has: the error against the *correct*
# translation, known here because domain B is made from A by code.

judge = train_domain_classifier(domains, seed=args.seed)
# the judge of the same digits, which never trained on the held-out ones
digits, accuracy = or_exit(pretrained_classifier, ClassifierRecipe(dataset=recipe.dataset, image_size=args.image_size))
judged_b = judge.is_b(domains.test_b.tensors()[0]).float().mean().item()
judged_a = (~judge.is_b(domains.test_a.tensors()[0])).float().mean().item()
print(f"domain classifier: {record('judge_b', judged_b, '.1%')} of held-out B and {record('judge_a', judged_a, '.1%')} of held-out A judged right")
print(f"digit classifier: {record('digit_accuracy', accuracy, '.1%')} accurate on held-out real digits")
KEYS = {"cycle": "cycle", "GAN only": "plain"}  # the names the lesson's results go by
reports = {}
for name, trainer in runs.items():
    reports[name] = r = cycle_report(trainer, domains, judge, digits)
    shown = {key: record(f"{KEYS[name]}_{key}", value, ".1%" if key in ("as_b", "as_a", "recognised_ba", "home_a", "home_b") else ".3f") for key, value in r.items()}
    print(
        f"{name:>8}: cycle error A->B->A {shown['cycle_a']}, B->A->B {shown['cycle_b']} (another digit: {shown['other_digit']}), "
        f"nearest their own start {shown['home_a']}, {shown['home_b']}; "
        f"A->B judged B {shown['as_b']}, B->A judged A {shown['as_a']}; "
        f"B->A recognised as its digit {shown['recognised_ba']}; error to the correct answer A->B {shown['error_ab']}, B->A {shown['error_ba']}"
    )

# Did the cycle loss at least buy better round trips?  Runs differ here (seeds, CPU
# kernels), so the lesson's sentences about it are chosen by this comparison: the
# GAN-only run's round-trip error, summed over both directions, against the cycle run's.
def round_trip_error(name: str) -> float:
    return sum(reports[name][k] for k in ("cycle_a", "cycle_b")) if name in reports else math.nan


# The lesson's three sentences on it, for either outcome
ROUND_TRIP_SENTENCES = {
    True: {
        "round_trip_verdict": "Only its round trips come back worse, more than a fifth above the cycle run's on average over "
        "the two directions (one direction alone can come close).  That is the one thing it was not trained for.",
        "round_trip_price": "That is a likely reason why the cycle loss buys a better round trip at the price of a worse A -> B translation here.",
        "round_trip_summary": "and that the cycle loss improved the round trips at the expense of the A -> B translations.",
    },
    False: {
        "round_trip_verdict": "Not even its round trips come back clearly worse: on average over the two directions their error "
        "is within a fifth of the cycle run's, or below it, although nothing in its training asked for round trips.",
        "round_trip_price": "That is a likely reason why the cycle loss costs accuracy in the A -> B translation here; in this "
        "run it did not even buy a clearly better round trip.",
        "round_trip_summary": "and that the cycle loss cost accuracy in the A -> B translation without clearly improving the round trips.",
    },
}
# The way back, B -> A, is not decided in advance either: the lesson's sentence on it
# follows which run came closer to the correct answer in this run.
if len(reports) == 2:
    plain_ba, cycle_ba = reports["GAN only"]["error_ba"], reports["cycle"]["error_ba"]
    ba_plain_closer = plain_ba < cycle_ba
    record("ba_plain_closer", ba_plain_closer)
    record(
        "ba_verdict",
        f"Back from B to A the GAN-only run is closer to the correct answer as well: {plain_ba:.3f} against {cycle_ba:.3f}."
        if ba_plain_closer
        else f"Back from B to A it is the other way round: the cycle run is the closer one, {cycle_ba:.3f} against the GAN-only run's {plain_ba:.3f}.",
    )
round_trips_worse = round_trip_error("GAN only") > 1.2 * round_trip_error("cycle")  # False with one run only
record("round_trips_worse", round_trips_worse)
for name, sentence in ROUND_TRIP_SENTENCES[round_trips_worse].items():
    record(name, sentence)

# %%
# Round trips
# -----------
# Held-out digits through both generators of the run with the cycle loss.

test_a, _ = domains.test_a.tensors()
test_b = domains.correct_b_of(test_a)
show = slice(0, 6)
g = main.generator
ab, ba = translate(g.ab, test_a[show]), translate(g.ba, test_b[show])
fig = plot_image_columns(
    {"A": test_a[show], "A -> B": ab, "A -> B -> A": translate(g.ba, ab), "B": test_b[show], "B -> A": ba, "B -> A -> B": translate(g.ab, ba)},
    label="round_trips",
    title=f"Round trips through both generators ({list(runs)[0]})",
)

# %%
# With and without the cycle loss
# -------------------------------
# The same held-out A digits translated by the two runs, next to the correct
# answer.  Compare the pictures with the numbers printed above.

if len(runs) == 2:
    fig = plot_image_columns(
        {
            "A": test_a[show],
            "A -> B, cycle": ab,
            "A -> B, GAN only": translate(runs["GAN only"].generator.ab, test_a[show]),
            "correct B": test_b[show],
        },
        label="without_cycle",
        title="The cycle loss switched off",
    )

# %%
# Losses and D's beliefs
# ----------------------
# The sums over both directions; D's beliefs are averaged over the two
# discriminators and all their patches.

fig = plot_training_curves(main.history, label="training_curves", smooth=25, equilibrium=False)  # not the plain log loss
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
