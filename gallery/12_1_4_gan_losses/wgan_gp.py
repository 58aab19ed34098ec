"""
WGAN-GP: a critic with a gradient penalty writes digits
=======================================================

Lesson :ref:`module-12-1-4-gan-losses`, script 2 of 2.

The DCGAN of lesson 12.1.2 turned into a Wasserstein GAN with gradient penalty
(Gulrajani et al., 2017, "Improved Training of Wasserstein GANs").  The networks and
the trainer stay the same; a handful of settings change: the loss (a critic score
instead of a probability, plus the penalty), five critic updates per generator
update, Adam's learning rate and betas, and the critic's normalisation.  The script
shows the critic's estimate of the Wasserstein distance falling while the samples
improve, the critic's gradient norms settling at 1 where the penalty acts, and the
digits over training.

Run it yourself::

    python wgan_gp.py                           # full preset: MNIST at 64x64 (downloads MNIST once)
    python wgan_gp.py --preset docs             # the quick run this page shows (offline MNIST digits, 16x16)
    python wgan_gp.py --preset docs --penalty-weight 0     # no penalty: what keeps the critic in check?
    python wgan_gp.py --preset docs --n-critic 1           # one critic step per generator step
    python wgan_gp.py --preset docs --critic-norm batch    # BatchNorm in the critic, against the paper's advice
    python wgan_gp.py --checkpoint wgan.pt --checkpoint-every 500   # save the run, every 500 steps too
    python wgan_gp.py --resume wgan.pt --checkpoint wgan.pt         # go on from it to --steps in total
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--dataset``, ``--image-size``, ``--channels``, ``--latent-dim``,
# ``--width``, ``--batch-size``, ``--lr``, ``--beta1``, ``--beta2``, ``--n-critic``,
# ``--penalty-weight``, ``--critic-norm``, ``--steps``, ``--ema-decay``, ``--seed``);
# ``--checkpoint``, ``--checkpoint-every`` and ``--resume`` save a run and go on from it.
# The full preset uses the paper's settings: Adam with learning rate 1e-4 and betas
# (0, 0.9), five critic steps per generator step, penalty weight 10, a critic without
# BatchNorm, batch 64, here on MNIST at 64x64 as in the DCGAN lesson.
#
# The docs preset is smaller so the site build runs it in about a minute: the 4,000
# real MNIST digits of ``mnist-5k`` (offline, as in lesson 12.1.2) at 16x16, narrow
# networks, 400 generator steps (2,000 critic steps), and a learning rate of 5e-4,
# **five times the paper's**: the paper's rate needs a longer run, the higher rate is
# what buys a short one (try ``--lr 1e-4`` and compare the samples).  At 32x32 the
# same 400 steps do not get as far as strokes (try ``--image-size 32``): a critic
# that trains five times per generator step costs five DCGAN steps each time.

DATASET = "mnist"  # mnist-5k (offline), digits (scikit-learn's 8x8, offline), mnist, fashion-mnist; or --data-dir PATH
IMAGE_SIZE = 64  # a power of two
CHANNELS = 1  # 3: colour, for a --data-dir folder of colour images
LATENT_DIM = 100  # size of the noise vector z
WIDTH = 64  # channels of G's last hidden layer (and the critic's first); doubled per layer
BATCH_SIZE = 64
LEARNING_RATE = 1e-4  # Adam, both players
BETA1 = 0.0  # the paper's Adam betas: no momentum ...
BETA2 = 0.9  # ... and a short memory for the gradient scale
N_CRITIC = 5  # critic updates per generator update
PENALTY_WEIGHT = 10.0  # lambda of the gradient penalty (0 switches it off)
CRITIC_NORM = "layer"  # normalisation inside the critic: layer, none or batch
STEPS = 6000  # generator updates (each after N_CRITIC critic updates)
EMA_DECAY = 0.0  # moving average of G's weights (the paper has none)
SEED = 0
DOCS_PRESET = {"dataset": "mnist-5k", "image_size": 16, "width": 16, "lr": 5e-4, "steps": 400}

# sphinx_gallery_thumbnail_number = 3

# %%
import torch

from modules.cli import or_exit, parse_script_args, recipe_flags, sample_png_options, tensorboard_callbacks, tensorboard_option
from modules.game.terms import input_gradient_norms, interpolates
from modules.evaluation.feature_metrics import check_sample_size, frechet_distance
from modules.figures.plotting import plot_estimate_and_quality, plot_gradient_norms, plot_image_progress
from modules.figures.output import export_samples, show_figures
from modules.storage.results import record
from modules.evaluation.classifier import ClassifierRecipe, classifier_features, held_out_images, pretrained_classifier, recognised_share
from modules.experiments.dcgan import GANRecipe, build_gan, pretrained_gan
from modules.game.history import EvalEvery
from modules.experiments.workers import checkpoint_options

args = parse_script_args(
    [
        *recipe_flags(
            GANRecipe, fixed={"loss": "wgan_gp"}, dataset=DATASET, data_dir=None, image_size=IMAGE_SIZE, channels=CHANNELS, latent_dim=LATENT_DIM,
            width=WIDTH, batch_size=BATCH_SIZE, lr=LEARNING_RATE, steps=STEPS,
            ema_decay=EMA_DECAY, beta1=BETA1, beta2=BETA2, n_critic=N_CRITIC,
            penalty_weight=PENALTY_WEIGHT, critic_norm=CRITIC_NORM,
        ),
        *sample_png_options(),
        tensorboard_option(),
        *checkpoint_options(),
    ],
    DOCS_PRESET,
    description="Train a WGAN-GP on handwritten digits (or MNIST, Fashion-MNIST, your own images).",
    seed=SEED,
)
recipe = args.recipe
dataset = or_exit(recipe.load_data)
print(f"preset={args.preset} device={args.device} data={dataset.name}: {len(dataset)} images, {recipe.image_size}x{recipe.image_size}")

# %%
# From DCGAN to WGAN-GP
# ---------------------
# The critic :math:`D` no longer outputs a probability but an unbounded score.  It
# minimises
#
# .. math::
#
#    \mathbb{E}[D(G(z))] - \mathbb{E}[D(x)]
#    + \lambda\, \mathbb{E}\big[(\lVert \nabla_{\hat x} D(\hat x) \rVert_2 - 1)^2\big],
#    \qquad \hat x = \epsilon x + (1 - \epsilon) G(z),\ \epsilon \sim U[0, 1],
#
# and the generator minimises :math:`-\mathbb{E}[D(G(z))]`.  If :math:`D` is
# 1-Lipschitz (its gradient norm is at most 1 everywhere), the best critic's
# :math:`\mathbb{E}[D(x)] - \mathbb{E}[D(G(z))]` equals the Wasserstein-1 distance
# between the data and the generator's distribution.  The penalty asks for gradient
# norm exactly 1 on random points :math:`\hat x` between real and generated images,
# where the optimal critic has it.
#
# :func:`modules.experiments.dcgan.build_gan` builds the same DCGAN networks and trainer as
# lesson 12.1.2; this script's recipe (the constants at the top) differs from the DCGAN
# recipe only in ``loss="wgan_gp"`` (:func:`~modules.game.objective.named_objective`: the Wasserstein loss plus a :class:`~modules.game.terms.GradientPenalty`),
# ``n_critic=5`` (the trainer's ``d_steps``), Adam's betas and learning rate, and
# ``critic_norm="layer"``: the penalty is computed image by image, and BatchNorm
# would make each image's score depend on the rest of its batch, so the critic
# normalises every image on its own (GroupNorm with one group).

log_every = max(1, recipe.steps // 5)  # progress lines
window = max(1, recipe.steps // 8)  # steps averaged in the printed estimates


def last_steps(trainer):
    """The Wasserstein estimate, the penalty term and G's loss over the last log_every steps."""
    h = trainer.history
    start = max(0, len(h.epoch) - log_every)
    estimate = [r - f for r, f in zip(h.d_real[start:], h.d_fake[start:])]
    penalty = [loss + e for loss, e in zip(h.d_loss[start:], estimate)]  # D loss = -estimate + penalty term
    return tuple(sum(values) / len(values) for values in (estimate, penalty, h.g_loss[start:]))


def report(step, record, means):
    estimate, penalty, g_loss = means
    return f"step {step:5d}: Wasserstein estimate {estimate:6.3f}  penalty term {penalty:.3f}  G loss {g_loss:7.3f}"


# %%
# A yardstick for sample quality
# ------------------------------
# To see whether the critic's estimate means anything, the script measures the
# samples independently of the critic: the small digit classifier of lesson 12.1.2
# (trained on digits of this run's size) turns 256 generated images (always from the
# same noise) and the held-out real digits (which neither the GAN nor the classifier
# trained on) into feature vectors, and :func:`~modules.evaluation.feature_metrics.frechet_distance` compares the two
# clouds (the idea behind FID, lesson 12.1.7): lower is closer to the real digits.

judge = None
if dataset.name != "folder":  # a classifier of your own folders is not part of this lesson
    judge_recipe = ClassifierRecipe(dataset=dataset.name, image_size=recipe.image_size)  # a judge of digits this size
    judge, accuracy = pretrained_classifier(judge_recipe)
    held_out = held_out_images(judge_recipe)  # real digits neither the GAN nor the judge trained on
    try:  # a covariance of 64 features needs more than 64 images
        check_sample_size(min(len(held_out), 256), judge.head.in_features)
    except ValueError as err:
        print(f"note: no feature distance: {err}")
        judge = None
if judge is not None:
    pick = torch.randperm(len(held_out), generator=torch.Generator().manual_seed(args.seed + 4))
    real_held_out = held_out.tensors(pick[:2000])[0]
    real_features = classifier_features(judge, real_held_out)
    # the yardstick: 256 training digits, scored against the same held-out ones
    real_distance = frechet_distance(classifier_features(judge, dataset.sample(256, generator=torch.Generator().manual_seed(args.seed + 5))), real_features)


def sample_distance(trainer):
    samples = trainer.sample(256, generator=torch.Generator().manual_seed(args.seed + 6))
    return frechet_distance(classifier_features(judge, samples), real_features)


quality = EvalEvery(max(1, recipe.steps // 20), sample_distance if judge is not None else lambda t: None)
untrained = build_gan(recipe, dataset, device=args.device)
kinds = [type(layer).__name__ for layer in untrained.discriminator.net]
print(f"critic: {' -> '.join(kinds)}")
adam = untrained.opt_d.param_groups[0]  # the critic's optimiser, as the recipe built it
print(f"objective={untrained.objective!r} n_critic={untrained.config.d_steps} Adam lr={adam['lr']:g} betas={adam['betas']}")

# %%
# The critic's gradients before training
# --------------------------------------
# :func:`~modules.game.terms.interpolates` draws the points :math:`\hat x` between 512
# real and 512 generated images, and :func:`~modules.game.terms.input_gradient_norms`
# measures :math:`\lVert \nabla_{\hat x} D(\hat x) \rVert` at each: the very
# quantity the penalty pushes towards 1.


def gradient_norms(trainer, seed):
    real = dataset.sample(512, generator=torch.Generator().manual_seed(seed))
    fake = trainer.sample(512, generator=torch.Generator().manual_seed(seed + 1))
    x_hat = interpolates(real, fake, generator=torch.Generator().manual_seed(seed + 2)).to(trainer.device)
    return input_gradient_norms(trainer.discriminator, x_hat).cpu()


norms_before = gradient_norms(untrained, args.seed + 10)
if judge is not None:
    quality.results.append((0, sample_distance(untrained)))

# %%
# Training
# --------
# Each step: five critic updates, each on a fresh real and fake batch with the
# penalty on their interpolates, then one generator update.  The printed penalty
# term is :math:`\lambda\,\mathbb{E}[(\lVert\nabla D\rVert - 1)^2]`.

log = EvalEvery(log_every, last_steps, report)
trainer = or_exit(
    pretrained_gan, recipe, args.device, dataset, callbacks=[quality, log, *tensorboard_callbacks(args.tensorboard, recipe.steps)], progress=args.progress,  # from the model cache when trained before
    checkpoint=args.checkpoint, checkpoint_every=args.checkpoint_every, resume=args.resume,
)
history = trainer.history

# %%
# The same noise over training
# ----------------------------
# Grey first, then strokes, then digits.

fig = plot_image_progress(trainer.history.snapshots, label="samples", max_panels=5, n=16)

# %%
# The estimate falls as the samples improve
# -----------------------------------------
# Left, the critic's estimate :math:`\mathbb{E}[D(x)] - \mathbb{E}[D(G(z))]` on its
# training batches, per generator step.  It rises while the critic learns to tell the
# untrained generator's grey images from digits, then falls as the generator catches
# up.  Right, the feature distance between generated and real digits, measured every
# ``steps / 20`` steps (log scale), with what 256 real training digits score as a reference.
# Once the critic has caught up, its estimate says what the losses of lesson 12.1.2
# could not: falling means the samples are getting closer to the data.  (It is an
# estimate from one critic on small batches, noisy step to step, and only as good as
# the critic; it is not comparable between different critics or runs.)

estimate = [r - f for r, f in zip(history.d_real, history.d_fake)]
curve = [(step, value) for step, value in quality.results if value is not None]
fig = plot_estimate_and_quality(
    history.epoch,
    estimate,
    ([s for s, _ in curve], [v for _, v in curve]) if curve else None,
    label="wasserstein_estimate",
    quality_name="feature distance to real images",
    quality_reference=("256 real digits", real_distance) if judge is not None else None,
    log_quality=True,
)
first, last = estimate[:window], estimate[-window:]
peak = max(range(len(estimate)), key=estimate.__getitem__)
record("estimate_first", sum(first) / len(first), ".2f")
record("estimate_last", sum(last) / len(last), ".2f")
record("estimate_peak", estimate[peak], ".2f")
record("estimate_peak_step", peak + 1)
# the progress lines' averages (over log_every steps each), for the lesson's gates
blocks = range(0, len(estimate) - log_every + 1, log_every)
record("progress_estimates", [sum(estimate[i : i + log_every]) / log_every for i in blocks])
penalty_terms = [loss + e for loss, e in zip(history.d_loss, estimate)]
record("penalty_first", sum(penalty_terms[:log_every]) / len(penalty_terms[:log_every]), ".3f")
record("penalty_last", sum(penalty_terms[-log_every:]) / len(penalty_terms[-log_every:]), ".3f")
record("g_loss_last", sum(history.g_loss[-log_every:]) / len(history.g_loss[-log_every:]), ".3f")
print(
    f"wasserstein estimate (mean over {window} steps): steps 1-{window} {sum(first) / len(first):.2f} -> "
    f"steps {len(estimate) - window + 1}-{len(estimate)} {sum(last) / len(last):.2f} (highest single step: {estimate[peak]:.2f} at step {peak + 1})"
)
if curve:
    record("distance_start", curve[0][1], ".1f")
    record("distance_end", curve[-1][1], ".1f")
    record("distance_real", real_distance, ".1f")
    print(f"feature distance to real images: step {curve[0][0]} {curve[0][1]:.1f} -> step {curve[-1][0]} {curve[-1][1]:.1f} (256 real digits: {real_distance:.1f})")

# %%
# Where the penalty acts, the gradient norm is 1
# ----------------------------------------------
# The critic's input-gradient norms at interpolates between real and generated
# images, before training (untrained critic, untrained generator) and after.  The
# untrained critic's slope is whatever its random weights give, spread widely;
# after training the norms sit close to the target 1 that the penalty asks for.
# Try ``--penalty-weight 0``: nothing holds the critic's slope any more; compare the
# estimate, the gradient norms after training and the samples with this run's.

norms_after = gradient_norms(trainer, args.seed + 20)
fig = plot_gradient_norms({"untrained critic": norms_before, "trained critic": norms_after}, label="gradient_norms", title="Gradient norms at real/fake interpolates")
record("norm_before_mean", norms_before.mean().item(), ".2f")
record("norm_before_std", norms_before.std().item(), ".2f")
record("norm_after_mean", norms_after.mean().item(), ".2f")
record("norm_after_std", norms_after.std().item(), ".2f")
print(
    f"gradient norm at interpolates: untrained critic mean {norms_before.mean():.2f} (std {norms_before.std():.2f}) -> "
    f"trained critic mean {norms_after.mean():.2f} (std {norms_after.std():.2f})"
)

# %%
# How many samples does the classifier recognise?
# -----------------------------------------------
# A sample counts as recognised when the classifier names a class with probability
# above 0.9: 1,000 samples of the trained generator, and 1,000 held-out real digits
# for comparison.  A confident classifier is no proof of a good digit, though: it was
# trained on real digits only, and what it says of an image unlike any digit (the
# untrained generator's output, blurry stripes) is arbitrary; it may call such an
# image an 8 with more than 90% confidence.  That is why the figure above tracks the
# feature distance instead of this share.

if judge is not None:
    generated = trainer.sample(1000, generator=torch.Generator().manual_seed(args.seed + 3))
    real = real_held_out[:1000]
    recognised, recognised_real = recognised_share(judge, generated), recognised_share(judge, real)
    record("recognised_after", recognised, ".1%")
    record("recognised_real", recognised_real, ".1%")
    record("judge_accuracy", accuracy, ".1%")
    print(
        f"recognised (classifier confidence > 0.9): {recognised:.1%} of 1000 samples of the trained generator, "
        f"{recognised_real:.1%} of 1000 held-out real digits (the classifier is {accuracy:.1%} accurate on held-out digits)"
    )
export_samples(trainer, args.sample_pngs, args.sample_count, args.seed)  # --sample-pngs DIR: PNG files for FID tools
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
