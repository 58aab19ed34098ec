"""
StyleGAN-lite: styles, noise, mixing and truncation
===================================================

Lesson :ref:`module-12-1-9-style-based-generators`.

A small style-based generator (:class:`modules.networks.stylegan.StyleGenerator`), built from
the ideas of StyleGAN rather than ported from its code: a mapping network turns z
into w, the image grows from a learned 4x4 constant, every convolution is
modulated by a style computed from w (AdaIN), every layer gets its own noise, and
training mixes the styles of two latents.  The script trains it from scratch on
digits against the DCGAN discriminator with a minibatch-standard-deviation channel,
then takes it apart: the architecture, style mixing, the truncation trick and the
noise inputs.  A last figure shows progressive growing, the training schedule of
ProGAN and the first StyleGAN, which this small model does without.

Run it yourself::

    python stylegan_lite.py                      # full preset: MNIST at 32x32
    python stylegan_lite.py --preset docs        # the quick run this page shows (offline MNIST digits, 32x32)
    python stylegan_lite.py --preset docs --mixing-prob 0
    python stylegan_lite.py --preset docs --psi 1,0.5,0 --crossover 6
    python stylegan_lite.py --checkpoint style.pt --checkpoint-every 1000   # save the run, every 1000 steps too
    python stylegan_lite.py --resume style.pt --checkpoint style.pt         # go on from it to --steps in total
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--dataset``, ``--image-size``, ``--channels``, ``--z-dim``,
# ``--w-dim``, ``--width``, ``--mapping-layers``, ``--mixing-prob``, ``--d-width``,
# ``--batch-size``, ``--lr``, ``--steps``, ``--ema-decay``, ``--psi``,
# ``--crossover``, ``--seed``); ``--checkpoint``, ``--checkpoint-every`` and
# ``--resume`` save the run and go on from it.

DATASET = "mnist"  # mnist-5k (offline), digits (scikit-learn's 8x8, offline), mnist, fashion-mnist; or --data-dir with your own images
IMAGE_SIZE = 32
CHANNELS = 1  # 3: colour, for a --data-dir folder of colour images
Z_DIM = 64
W_DIM = 64
WIDTH = 64  # channels of the 4x4 and 8x8 layers; halved at every later doubling
MAPPING_LAYERS = 4  # StyleGAN has 8
MIXING_PROB = 0.9  # share of training batches whose styles come from two latents
D_WIDTH = 32
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
STEPS = 10000
EMA_DECAY = 0.999
PSI = [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]  # truncation values of the truncation strip (flag: --psi 1,0.5,0)
CROSSOVER = 2  # style-mixing grid: styles 0 .. CROSSOVER-1 from the row's latent, the rest from the column's
SEED = 0
DOCS_PRESET = {"dataset": "mnist-5k", "width": 32, "d_width": 16, "batch_size": 32, "steps": 1500, "ema_decay": 0.99}

# sphinx_gallery_thumbnail_number = 4

# %%
import numpy as np
import torch

from modules.cli import at_least, fail, name_list, Option, or_exit, parse_script_args, recipe_flags, sample_png_options, tensorboard_callbacks, tensorboard_option
from modules.figures.plotting import plot_image_columns, plot_image_panels, plot_image_progress, plot_mixing_grid, plot_training_curves
from modules.figures.output import export_samples, show_figures
from modules.storage.results import record
from modules.experiments.stylegan import StyleRecipe, build_style_gan, sample_spread
from modules.figures.style_diagrams import draw_stylegan_diagram, plot_progressive_schedule
from modules.experiments.workers import checkpoint_options, trained
from modules.evaluation.classifier import ClassifierRecipe, classifier_features, classify_with_confidence, held_out_images, pretrained_classifier, recognised_share
from modules.evaluation.feature_metrics import precision_recall
from modules.evaluation.metrics import class_shares


def psi_list(text):
    """Flag type: ``"1,0.5,0"`` -> ``[1.0, 0.5, 0.0]``."""
    try:
        return [float(v) for v in name_list(text)]
    except ValueError:
        raise ValueError(f"not a comma-separated list of numbers: {text!r}") from None


def psi_values(values):
    if not values:
        return "needs at least one value"
    if any(not 0 <= v <= 1 for v in values):
        return "values must lie in [0, 1]: 1 leaves w alone, 0 replaces it by the average w (beyond, the trick extrapolates into broken images)"
    return None


args = parse_script_args(
    [
        *recipe_flags(
            StyleRecipe, dataset=DATASET, data_dir=None, image_size=IMAGE_SIZE, channels=CHANNELS, z_dim=Z_DIM,
            w_dim=W_DIM, width=WIDTH, mapping_layers=MAPPING_LAYERS, mixing_prob=MIXING_PROB,
            d_width=D_WIDTH, batch_size=BATCH_SIZE, lr=LEARNING_RATE, steps=STEPS,
            ema_decay=EMA_DECAY,
        ),
        *sample_png_options(),
        tensorboard_option(),
        Option("psi", PSI, psi_list, "truncation values for the strip, comma-separated, each in [0, 1]", psi_values),
        Option("crossover", CROSSOVER, int, "first style taken from the column's latent in the mixing grid", at_least(0)),
        *checkpoint_options(),
    ],
    DOCS_PRESET,
    description="Train a small style-based generator and explore style mixing, truncation and noise.",
    seed=SEED,
)
recipe = args.recipe
dataset = or_exit(recipe.load_data)
print(f"preset={args.preset} device={args.device} data={dataset.name}: {len(dataset)} images, {recipe.image_size}x{recipe.image_size}")

# %%
# The architecture
# ----------------
# Drawn from the generator this script trains: the mapping network on the left,
# the synthesis network on the right.  Every styled layer has its own "A", a learned
# affine map from w to that layer's style (a scale and a bias per channel), and its
# own "B", a noise map scaled per channel.

trainer = build_style_gan(recipe, device=args.device, dataset=dataset)
if not 0 <= args.crossover <= trainer.generator.num_ws:
    fail(f"--crossover must be from 0 to {trainer.generator.num_ws}, the number of styled layers (got {args.crossover})")
fig = draw_stylegan_diagram(trainer.generator)
print(f"styled layers (num_ws): {trainer.generator.num_ws}, at resolutions {trainer.generator.layer_resolutions()}")

# %%
# Training
# --------
# The trainer is the course's one :class:`~modules.game.loop.GANTrainer`; only the
# two networks are new.  Finished runs are cached.


def report(step, record):
    return f"step {step:5d}: D(x)={record['d_real']:.2f} D(G(z))={record['d_fake']:.2f} G loss={record['g_loss']:.3f}"


(trainer,) = or_exit(
    trained, "stylegan", [recipe], build_style_gan, device=args.device, progress=args.progress, dataset=dataset,
    callbacks=tensorboard_callbacks(args.tensorboard, recipe.steps),
    checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every, resume=args.resume,
)
every = max(1, recipe.steps // 5)  # from the history: the same lines for a fresh and a cached run
for i, step in enumerate(trainer.history.epoch):
    if step % every == 0:
        print(report(step, {key: getattr(trainer.history, key)[i] for key in ("d_real", "d_fake", "g_loss")}))
G = trainer.ema_generator if trainer.ema_generator is not None else trainer.generator
G.eval()
rng = torch.Generator().manual_seed(args.seed + 5)
z = trainer.noise_sampler(64, generator=rng)
real = dataset.sample(64, generator=rng)
fig = plot_image_panels({"real": real, "StyleGAN-lite (psi = 1)": G.generate(z)}, label="samples")


def background(images):
    """The mean of the darker half of each image's pixels: -1 is black."""
    flat = images.flatten(1).sort(dim=1).values
    return flat[:, : flat.shape[1] // 2].mean().item()


# %%
# What a digit classifier makes of the samples
# --------------------------------------------
# The judge of the earlier lessons (a small CNN trained on real digits of this size)
# names a class for 1,000 samples; a sample counts as recognised when it is more than
# 90% sure.  The same share on 1,000 held-out real digits, which neither the GAN nor
# the judge trained on, is the yardstick.

judge = None
if dataset.name != "folder" and dataset.num_classes:
    judge_recipe = ClassifierRecipe(dataset=dataset.name, image_size=recipe.image_size)
    judge, judge_accuracy = or_exit(pretrained_classifier, judge_recipe)
    held_out = held_out_images(judge_recipe).tensors()[0][:1000]
    z_judge = trainer.noise_sampler(1000, generator=torch.Generator().manual_seed(args.seed + 6))
    judged, confidence = classify_with_confidence(judge, G.generate(z_judge))
    sure = (confidence > 0.9).float().mean().item()
    sure_real = recognised_share(judge, held_out)
    shares = class_shares(judged, dataset.num_classes)
    record("judge_accuracy", judge_accuracy, ".1%")
    record("recognised", sure, ".1%")
    record("recognised_real", sure_real, ".1%")
    record("recognised_ratio", sure / max(sure_real, 1e-12), ".0%")
    record("rarest_class_share", shares.min().item(), ".1%")
    record("commonest_class_share", shares.max().item(), ".1%")
    print(
        f"judge (accuracy {judge_accuracy:.1%} on held-out digits): sure of {sure:.1%} of 1000 samples, "
        f"of {sure_real:.1%} of 1000 held-out real digits; classes of the samples from {shares.min():.1%} to {shares.max():.1%}"
    )

record("background_real", background(real), ".2f")
record("background_fake", background(G.generate(z)), ".2f")
fig = plot_image_progress(trainer.history.snapshots, label="progress", n=16)

# %%
# Style mixing
# ------------
# Row i takes styles ``0 .. crossover-1`` (the coarse layers, listed in the
# architecture) from the latent in the left column; column j takes the remaining,
# finer styles from the latent on top.  Mixing identical latents gives back the
# unmixed image exactly (printed below).

rows, cols = trainer.noise_sampler(4, generator=rng), trainer.noise_sampler(5, generator=rng)
mixed = torch.cat([G.mix(rows[i : i + 1], cols, args.crossover) for i in range(len(rows))])
fig = plot_mixing_grid(
    G.generate(rows), G.generate(cols), mixed,
    title=f"Styles 0-{args.crossover - 1} (layers up to {G.layer_resolutions()[max(0, args.crossover - 1)]}x{G.layer_resolutions()[max(0, args.crossover - 1)]}) from the row, the rest from the column" if args.crossover else "crossover 0: every style from the column",
)
same = max((G.mix(z[:16], z[:16], k) - G.generate(z[:16])).abs().max().item() for k in range(G.num_ws + 1))
print(f"mixing a latent with itself, every crossover: largest pixel difference to the unmixed image {same:.1e}")
record("mixing_identity_diff", same, ".1e")

# one pair of latents, the crossover moving from fine to coarse
pair = trainer.noise_sampler(2, generator=rng)
strip = torch.cat([G.mix(pair[:1], pair[1:], k) for k in range(G.num_ws, -1, -1)])
fig = plot_image_columns(
    {f"crossover {k}": strip[i : i + 1] for i, k in enumerate(range(G.num_ws, -1, -1))},
    label="crossover_strip",
    title="Styles from the first latent up to the crossover, from the second after it",
)

# Which styles decide the image?  For 100 pairs, where each crossover's mix lies
# between its two sources: 0 = the image of the first latent (the coarse styles'
# source), 1 = the image of the second.
first, second = trainer.noise_sampler(100, generator=rng), trainer.noise_sampler(100, generator=rng)
a, b = G.generate(first), G.generate(second)
share = {}
for k in range(G.num_ws, -1, -1):
    m = G.mix(first, second, k)
    to_a, to_b = (m - a).abs().flatten(1).mean(1), (m - b).abs().flatten(1).mean(1)
    share[k] = (to_a / (to_a + to_b).clamp_min(1e-12)).mean().item()
record("crossover_share", share)
for k in share:
    record(f"crossover_share_{k}", share[k], ".2f")
# the fewest leading styles that keep the mixes nearer the first image
nearer = min([k for k, v in share.items() if v < 0.5], default=G.num_ws)
top = G.layer_resolutions()[nearer - 1]
record("crossover_coarse_styles", f"style 0 (a {top}x{top} layer)" if nearer == 1 else f"styles 0 to {nearer - 1} (the layers up to {top}x{top})")
print("crossover, 100 pairs: share of the way from the first image to the second: " + ", ".join(f"{k}: {s:.2f}" for k, s in share.items()))

# Which styles decide *which digit* it is?  For 500 pairs whose two images the judge
# calls different digits: the share of mixes it calls the first image's digit.
if judge is not None:
    first, second = trainer.noise_sampler(500, generator=rng), trainer.noise_sampler(500, generator=rng)
    class_a, class_b = classify_with_confidence(judge, G.generate(first))[0], classify_with_confidence(judge, G.generate(second))[0]
    differ = class_a != class_b
    keeps = {}
    for k in range(G.num_ws, -1, -1):
        class_m = classify_with_confidence(judge, G.mix(first[differ], second[differ], k))[0]
        keeps[k] = (class_m == class_a[differ]).float().mean().item()
    record("crossover_keeps_digit", keeps)
    record("crossover_pairs", int(differ.sum()))
    for k in keeps:
        record(f"keeps_digit_{k}", keeps[k], ".0%")
    print(f"crossover, {int(differ.sum())} pairs of different digits: share of mixes judged the first image's digit: " + ", ".join(f"{k}: {v:.2f}" for k, v in keeps.items()))

# %%
# The truncation trick
# --------------------
# ``w' = w_avg + psi (w - w_avg)`` pulls every latent towards the average w that the
# generator tracked during training.  At psi = 1 nothing changes; at psi = 0 every z
# gives the same, "average" image.  The spread (the per-pixel standard deviation
# across 500 samples) shrinks as psi falls.

z_big = trainer.noise_sampler(500, generator=rng)
spreads = {psi: sample_spread(G.generate(z_big, psi=psi)) for psi in args.psi}
print("spread of 500 samples: " + ", ".join(f"psi={psi:g}: {s:.3f}" for psi, s in spreads.items()))
record("spreads", {f"{psi:g}": s for psi, s in spreads.items()})
for psi, s in spreads.items():
    record(f"spread_psi_{psi:g}".replace(".", "_"), s, ".3f")
if 1.0 in spreads and spreads[1.0] > 0:
    for psi, s in spreads.items():
        if psi != 1.0:
            record(f"spread_share_psi_{psi:g}".replace(".", "_"), s / spreads[1.0], ".0%")
fig = plot_image_columns({f"psi {psi:g}": G.generate(z[:6], psi=psi) for psi in args.psi}, label="truncation", title="Truncation: the same six latents, pulled towards the average w")

# What truncation buys, measured (lesson 12.1.7's improved precision and recall, in
# the judge's features, against the held-out real digits): precision, the share of
# samples that lie among real digits, against recall, the share of real digits the
# samples cover.
if judge is not None:
    real_features = classifier_features(judge, held_out)
    trade = {}
    for psi in args.psi:
        pr = precision_recall(real_features, classifier_features(judge, G.generate(z_big, psi=psi)))
        trade[f"{psi:g}"] = (pr.precision, pr.recall)
        record(f"precision_psi_{psi:g}".replace(".", "_"), pr.precision, ".2f")
        record(f"recall_psi_{psi:g}".replace(".", "_"), pr.recall, ".2f")
    record("precision_recall", trade)
    print("precision / recall of 500 samples against held-out digits: " + ", ".join(f"psi={psi}: {p:.2f} / {r:.2f}" for psi, (p, r) in trade.items()))

# %%
# The noise inputs
# ----------------
# The same w with four different draws of the per-layer noise.  The noise moves
# only small details; the last column is the per-pixel standard deviation over 32
# noise draws (white: where the noise matters).

one = z[:6]
draws = [G.generate(one, noise=G.make_noise(1, torch.Generator().manual_seed(100 + i))) for i in range(32)]
stack = torch.stack(draws)  # (draws, 6, C, H, W)
std = stack.std(dim=0).mean(dim=1, keepdim=True)
columns = {f"noise {i + 1}": draws[i] for i in range(4)}
columns["std over 32"] = (std / std.max().clamp_min(1e-8)) * 2 - 1
fig = plot_image_columns(columns, label="noise", title=f"Same w, different noise (last column: white = {std.max().item():.3f})")
change = (stack - stack.mean(dim=0)).abs().mean().item()
spread_w = sample_spread(G.generate(z_big[:100]))
print(f"noise: mean pixel change {change:.3f}, against a spread of {spread_w:.3f} across latents")
strengths = [layer.noise_strength.abs().mean().item() for layer in G.layers]
print("learned noise strength (mean |strength| per layer): " + ", ".join(f"{r}x{r}: {s:.3f}" for r, s in zip(G.layer_resolutions(), strengths)))
record("noise_change", change, ".3f")
record("noise_spread", spread_w, ".3f")
record("noise_ratio", spread_w / max(change, 1e-12), ".0f")
record("noise_std_max", std.max().item(), ".3f")
record("noise_strengths", strengths)
record("noise_strength_min", min(strengths), ".3f")
record("noise_strength_max", max(strengths), ".3f")

# %%
# Progressive growing
# -------------------
# ProGAN (Karras et al., 2018) and the first StyleGAN trained the generator and the
# discriminator at 4x4 first, then added one resolution after another, fading
# each new block in while the old output is upsampled alongside.  The schedule
# below uses ProGAN's 800,000 images per phase, up to this run's resolution.

resolutions = [4 * 2**i for i in range(G.num_ws // 2)]
fig = plot_progressive_schedule(resolutions, 800_000)

# %%
# Losses and D's beliefs
# ----------------------
# Moving averages over 25 steps: the trend shows through the noise of single batches.

SMOOTH = 25

fig = plot_training_curves(trainer.history, label="training_curves", smooth=SMOOTH)

# D's beliefs as the curves of the last figure show them (moving averages over 25
# steps), from the first report on: what the lesson reads the game from.
history = trainer.history
if len(history.epoch) >= SMOOTH:
    kernel = np.ones(SMOOTH) / SMOOTH
    avg = {key: np.convolve(getattr(history, key), kernel, mode="valid") for key in ("d_real", "d_fake")}
    at = {step: i for i, step in enumerate(history.epoch[SMOOTH - 1 :])}
    later = [i for step, i in at.items() if step >= every]
    record("curve_d_real_min", float(avg["d_real"][later].min()), ".2f")
    record("curve_d_fake_max", float(avg["d_fake"][later].max()), ".2f")
    record("curve_edge_min", float((avg["d_real"][later] - avg["d_fake"][later]).min()), ".2f")
    record("curve_lowest", float(min(avg["d_real"][later].min(), avg["d_fake"][later].min())), ".2f")
    record("curve_highest", float(max(avg["d_real"][later].max(), avg["d_fake"][later].max())), ".2f")
    # how far a printed line (one batch) lies from the curve at its step
    jumps = [abs(history.d_fake[i] - avg["d_fake"][at[step]]) for i, step in enumerate(history.epoch) if step % every == 0 and step in at]
    if jumps:
        record("report_jump_max", max(jumps), ".2f")
export_samples(trainer, args.sample_pngs, args.sample_count, args.seed)  # --sample-pngs DIR: PNG files for FID tools
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
