"""WGAN-GP on digits (lesson 12.1.4, ``wgan_gp.py``): the critic's normalisation
option, the WGAN-GP recipe as a delta of the DCGAN recipe, the quality yardsticks,
and the script run as a student runs it (quality gate in the docs preset, bad input
ending in one line and exit 2)."""

from __future__ import annotations

import functools
from dataclasses import asdict, replace

import pytest
import torch
from torch import nn

from lesson_checks import script_recipes
from course import run_script, run_script_here
from modules.data.synthetic import normal_noise
from modules.data.images import load_image_dataset
from modules.evaluation.feature_metrics import frechet_distance
from modules.game.config import TrainConfig
from modules.game.loop import GANTrainer
from modules.game.losses import NonSaturatingLoss, WassersteinLoss
from modules.game.runtime import seed_everything
from modules.game.terms import GradientPenalty
from modules.networks.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init, layer_shapes
from modules.networks.classifier import DigitClassifier
from modules.figures.plotting import plot_estimate_and_quality
from modules.experiments.dcgan import DCGAN_PRESETS, WGAN_GP, GANRecipe, build_gan
from modules.evaluation.classifier import classifier_features, classify, classify_with_confidence, recognised_share

DOCS = ("--preset", "docs")
NORM_LAYERS = (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d)


def kinds(model: nn.Module) -> list[str]:
    return [type(m).__name__ for m in model.modules() if not list(m.children())]


def gradient_penalty_of(trainer: GANTrainer) -> GradientPenalty:
    """The trainer's objective is WGAN-GP's: the Wasserstein loss and one gradient
    penalty term, and nothing else composed with it; returns the penalty term."""
    objective = trainer.objective
    assert type(objective.loss) is WassersteinLoss
    (penalty,) = objective.terms
    assert isinstance(penalty, GradientPenalty)
    assert (objective.constraints, objective.see, objective.relabel, objective.g_objective) == ((), (), (), None)
    return penalty


# --------------------------------------------------------------------------------------
# DCGANDiscriminator(norm=...)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
@pytest.mark.parametrize("size", [8, 16, 32])
def test_every_norm_gives_one_score_per_image(norm, size):
    d = DCGANDiscriminator(image_size=size, width=4, norm=norm)
    out = d(torch.randn(3, 1, size, size))
    assert out.shape == (3,)
    shapes = [shape for _, kind, shape in layer_shapes(d, torch.randn(2, 1, size, size)) if kind == "Conv2d"]
    assert shapes[0] == (2, 4, size // 2, size // 2) and shapes[-2][-1] == 4 and shapes[-1] == (2, 1, 1, 1)


def test_norm_none_has_no_normalisation_and_layer_has_no_batchnorm():
    none = DCGANDiscriminator(image_size=32, width=4, norm="none")
    assert not any(isinstance(m, NORM_LAYERS) for m in none.modules())
    assert kinds(none) == ["Conv2d", "LeakyReLU", "Conv2d", "LeakyReLU", "Conv2d", "LeakyReLU", "Conv2d"]
    layer = DCGANDiscriminator(image_size=32, width=4, norm="layer")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in layer.modules())
    groups = [m for m in layer.modules() if isinstance(m, nn.GroupNorm)]
    assert [(g.num_groups, g.num_channels) for g in groups] == [(1, 8), (1, 16)]


def test_batch_norm_is_the_unchanged_default():
    torch.manual_seed(0)
    default = DCGANDiscriminator(image_size=32, width=8)
    torch.manual_seed(0)
    batch = DCGANDiscriminator(image_size=32, width=8, norm="batch")
    assert kinds(default) == ["Conv2d", "LeakyReLU", "Conv2d", "BatchNorm2d", "LeakyReLU", "Conv2d", "BatchNorm2d", "LeakyReLU", "Conv2d"]
    a, b = default.state_dict(), batch.state_dict()
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)
    assert "net.3.running_mean" in a  # the DCGAN checkpoints' key names are kept
    x = torch.randn(4, 1, 32, 32)
    assert torch.equal(default(x), batch(x))


@pytest.mark.parametrize("norm,independent", [("layer", True), ("none", True), ("batch", False)])
def test_only_batchnorm_couples_the_images_of_a_batch(norm, independent):
    """The reason for ``layer`` in WGAN-GP: a per-image penalty needs per-image scores."""
    torch.manual_seed(1)
    d = DCGANDiscriminator(image_size=16, width=4, norm=norm).train()
    x = torch.randn(6, 1, 16, 16)
    alone = d(x[:2])
    together = d(x)[:2]
    assert torch.allclose(alone, together, atol=1e-5) == independent


@pytest.mark.parametrize("norm", ["instance", "Batch", "", None])
def test_unknown_norm_is_one_line_value_error(norm):
    with pytest.raises(ValueError, match="norm must be one of batch, layer, none") as excinfo:
        DCGANDiscriminator(image_size=16, norm=norm)
    assert "\n" not in str(excinfo.value)


# --------------------------------------------------------------------------------------
# The recipe: WGAN-GP as a delta of DCGAN
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits16():
    return load_image_dataset("digits", 16, 1)


def test_wgan_gp_presets_are_the_papers_settings():
    """The script's recipe (its constants, and DOCS_PRESET) is the DCGAN with the
    paper's settings, :data:`modules.experiments.dcgan.WGAN_GP`."""
    presets = script_recipes("wgan_gp", GANRecipe)
    for preset in presets.values():
        assert (preset.loss, preset.n_critic, preset.penalty_weight) == ("wgan_gp", 5, 10.0)
        assert (preset.beta1, preset.beta2, preset.critic_norm) == (0.0, 0.9, "layer")
    assert presets["full"].lr == 1e-4 and presets["full"].batch_size == 64
    assert presets["full"].steps > DCGAN_PRESETS["full"].steps
    changed = {k for k, v in asdict(presets["full"]).items() if asdict(DCGAN_PRESETS["full"])[k] != v}
    assert changed == {"loss", "n_critic", "lr", "beta1", "beta2", "critic_norm", "ema_decay", "batch_size", "steps"}
    assert {k: getattr(presets["full"], k) for k in WGAN_GP} == WGAN_GP


def test_build_gan_with_the_wgan_gp_recipe(digits16):
    recipe = replace(script_recipes("wgan_gp", GANRecipe)["docs"], image_size=16, width=4, batch_size=8, steps=2)
    trainer = build_gan(recipe, digits16)
    penalty = gradient_penalty_of(trainer)
    assert penalty.weight == 10.0
    assert trainer.config.d_steps == 5 and trainer.opt_d.param_groups[0]["betas"] == (0.0, 0.9)
    assert trainer.opt_d.param_groups[0]["betas"] == (0.0, 0.9) and trainer.opt_d.param_groups[0]["lr"] == recipe.lr
    assert any(isinstance(m, nn.GroupNorm) for m in trainer.discriminator.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in trainer.discriminator.modules())
    trainer.fit()
    assert len(trainer.history.epoch) == 2 and penalty.last >= 0
    assert trainer.objective.last_terms == {"gradient_penalty": penalty.last}
    other = build_gan(replace(recipe, penalty_weight=0.0, n_critic=2, critic_norm="none"), digits16)
    assert gradient_penalty_of(other).weight == 0.0 and other.config.d_steps == 2
    assert not any(isinstance(m, NORM_LAYERS) for m in other.discriminator.modules())


def test_dcgan_recipe_builds_exactly_what_it_built_before(digits16):
    """The new recipe fields default to the DCGAN: same loss, one D step, betas
    (beta1, 0.999), BatchNorm; a short run matches the pre-WGAN construction bit for bit."""
    recipe = replace(DCGAN_PRESETS["docs"], image_size=16, width=4, batch_size=8, steps=3)
    assert (recipe.loss, recipe.n_critic, recipe.beta2, recipe.critic_norm) == ("non_saturating", 1, 0.999, "batch")
    new = build_gan(recipe, digits16)
    assert type(new.objective.loss) is NonSaturatingLoss and new.objective.terms == () and new.objective.constraints == ()
    assert new.config.d_steps == 1 and new.opt_d.param_groups[0]["betas"] == (0.5, 0.999)

    seed_everything(recipe.seed)
    g = DCGANGenerator(recipe.latent_dim, recipe.image_size, 1, recipe.width, recipe.upsample)
    d = DCGANDiscriminator(recipe.image_size, 1, recipe.width)
    g.apply(dcgan_init)
    d.apply(dcgan_init)
    config = TrainConfig(
        num_epochs=recipe.steps, batch_size=recipe.batch_size, lr=recipe.lr, betas=(recipe.beta1, 0.999), ema_decay=recipe.ema_decay,
        seed=recipe.seed, snapshot_every=max(1, recipe.steps // 8), num_snapshot_samples=64, progress_unit="step", cpu_threads=recipe.cpu_threads,
    )  # fmt: skip
    old = GANTrainer(g, d, digits16.sample, functools.partial(normal_noise, dim=recipe.latent_dim), config)
    new.fit()
    old.fit()
    for name in ("generator", "discriminator", "ema_generator"):
        a, b = getattr(new, name).state_dict(), getattr(old, name).state_dict()
        assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a), name
    assert new.history.d_loss == old.history.d_loss


# --------------------------------------------------------------------------------------
# Quality yardsticks
# --------------------------------------------------------------------------------------
def test_frechet_distance():
    torch.manual_seed(0)
    a = torch.randn(400, 6)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(a, a + 2.0) == pytest.approx(6 * 4.0, rel=1e-6)  # only the means differ
    b = torch.randn(300, 6) * 3
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)
    assert frechet_distance(a, b) > frechet_distance(a, torch.randn(300, 6))
    with pytest.raises(ValueError, match="feature sets"):
        frechet_distance(a, torch.randn(10, 5))


def test_classifier_helpers_agree():
    torch.manual_seed(0)
    model = DigitClassifier(input_size=16)
    images = torch.rand(20, 1, 8, 8) * 2 - 1  # another size: resized to 16 first
    classes, confidence = classify_with_confidence(model, images)
    assert torch.equal(classes, classify(model, images))
    assert confidence.shape == (20,) and bool(((confidence >= 0.1 - 1e-6) & (confidence <= 1)).all())
    assert recognised_share(model, images, threshold=0.0) == 1.0
    assert recognised_share(model, images, threshold=1.0) == 0.0
    assert classifier_features(model, images).shape == (20, 64)


def test_estimate_and_quality_figure():
    import matplotlib.pyplot as plt

    steps = list(range(1, 101))
    fig = plot_estimate_and_quality(steps, [1.0 / s for s in steps], ([0, 50, 100], [100.0, 20.0, 10.0]), quality_reference=("real", 5.0), log_quality=True)
    assert fig.get_label() == "wasserstein_estimate" and len(fig.axes) == 2
    assert fig.axes[1].get_yscale() == "log"
    plt.close(fig)
    fig = plot_estimate_and_quality(steps, [0.0] * 100, None, label="only")
    assert fig.get_label() == "only" and len(fig.axes) == 1
    plt.close(fig)


# --------------------------------------------------------------------------------------
# The script
# --------------------------------------------------------------------------------------
# That the script draws the figures and records the values 12.1.4 shows is checked with
# every lesson's, in test_lesson_claims.py.


def test_docs_critic_is_the_one_the_lesson_describes(digits16):
    """The lesson reads the docs run's first lines: three convolutions, GroupNorm with
    one group (layer normalisation) after the middle one, no sigmoid, and the paper's
    loss settings at five times its learning rate.  (The docs run's quality claims are
    gates on the build's records: ``tests/lesson_gates/lesson_12_1_4.py``.)"""
    trainer = build_gan(script_recipes("wgan_gp", GANRecipe)["docs"], digits16)
    assert [type(layer).__name__ for layer in trainer.discriminator.net] == ["Conv2d", "LeakyReLU", "Conv2d", "GroupNorm", "LeakyReLU", "Conv2d"]
    assert [m.num_groups for m in trainer.discriminator.modules() if isinstance(m, nn.GroupNorm)] == [1]
    assert gradient_penalty_of(trainer).weight == 10.0
    assert (trainer.config.d_steps, trainer.opt_d.param_groups[0]["lr"], trainer.opt_d.param_groups[0]["betas"]) == (5, 5e-4, (0.0, 0.9))


@pytest.mark.slow
@pytest.mark.parametrize(
    "args,expected",
    [
        (("--n-critic", "0"), "--n-critic must be >= 1"),
        (("--penalty-weight", "-1"), "--penalty-weight must be a number >= 0"),
        (("--steps", "0"), "--steps must be >= 1"),
        (("--critic-norm", "instance"), "--critic-norm"),
        (("--beta2", "1"), "--beta2"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(args, expected):
    run = run_script_here("wgan_gp", *DOCS, *args)
    assert run.returncode == 2, (run.returncode, run.stdout[-2000:], run.stderr[-2000:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert expected in lines[0]


@pytest.mark.slow
def test_bad_flag_in_a_fresh_interpreter():
    """One of the cases above as a student meets it: in a Python process of its own."""
    run = run_script("wgan_gp", *DOCS, "--steps", "0")
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "--steps must be >= 1" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow
def test_full_preset_runs_the_papers_setting_on_mnist_files(tmp_path):
    """The full preset (MNIST 64x64, batch 64, Adam 1e-4 / betas (0, 0.9), five critic
    steps) on small MNIST-format files the test writes, for one step on the CPU."""
    from test_image_data import write_mnist_files

    write_mnist_files(tmp_path, "MNIST")
    env = {"GAN_COURSE_OFFLINE": "1", "GAN_COURSE_DATA": str(tmp_path)}
    run = run_script("wgan_gp", "--steps", "1", "--device", "cpu", env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "preset=full device=cpu data=mnist" in run.stdout and "64x64" in run.stdout
    assert "n_critic=5 Adam lr=0.0001 betas=(0.0, 0.9)" in run.stdout
