"""Lesson 12.1.7's machinery around the metrics: generators kept over training, the
samples the metrics see, the presets the script loads from the cache, and what
``gan_metrics.py`` does with bad input.  (The metrics themselves:
``test_evaluation.py``; the lesson's quoted numbers: ``test_lesson_claims_12_1_7.py``.)"""

from __future__ import annotations

import functools
import sys
from dataclasses import asdict

import pytest
import torch

import modules.evaluation.feature_metrics
import modules.experiments.dcgan
from lesson_checks import recipe_presets
from course import run_script_here, script_path
from modules.data.synthetic import GaussianTarget, normal_noise
from modules.evaluation.feature_metrics import generated_images
from modules.experiments.dcgan import CONDITIONAL_PRESETS, DCGAN_PRESETS, build_gan
from modules.data.images import load_image_dataset
from modules.game.config import TrainConfig
from modules.game.loop import GANTrainer
from modules.game.runtime import seed_everything
from modules.networks.mlp import MLPDiscriminator, MLPGenerator

pytestmark = pytest.mark.usefixtures("one_thread")
DOCS = ("--preset", "docs")


def make_trainer(**cfg) -> GANTrainer:
    """A tiny 1-D GAN (weights from seed 0)."""
    cfg.setdefault("num_epochs", 5)
    cfg.setdefault("batch_size", 32)
    seed_everything(0)
    g, d = MLPGenerator(1, (1,), hidden=(8,)), MLPDiscriminator((1,), hidden=(8,))
    return GANTrainer(g, d, GaussianTarget(), functools.partial(normal_noise, dim=1), TrainConfig(seed=0, **cfg))


# --------------------------------------------------------------------------------------
# Weights kept over training
# --------------------------------------------------------------------------------------
def test_weights_are_kept_at_the_snapshot_epochs_and_match_the_final_generator():
    t = make_trainer(num_epochs=5, snapshot_every=2, keep_weights=True)
    t.fit()
    assert [e for e, _ in t.history.weights] == [0, 2, 4, 5]
    final = dict(t.history.weights)[5]
    assert all(torch.equal(final[k], v) for k, v in t.generator.state_dict().items())
    assert not torch.equal(dict(t.history.weights)[0]["net.0.weight"], final["net.0.weight"])  # G moved
    # the copy at the last epoch draws exactly what the generator draws now
    assert torch.equal(generated_images(t, 16, seed=3, epoch=5), generated_images(t, 16, seed=3))
    assert not torch.equal(generated_images(t, 16, seed=3, epoch=0), generated_images(t, 16, seed=3))


def test_kept_weights_are_the_moving_average_when_there_is_one():
    t = make_trainer(num_epochs=4, snapshot_every=2, keep_weights=True, ema_decay=0.9)
    t.fit()
    final = dict(t.history.weights)[4]
    assert all(torch.equal(final[k], v) for k, v in t.ema_generator.state_dict().items())
    assert not torch.equal(final["net.0.weight"], t.generator.state_dict()["net.0.weight"])
    assert torch.equal(generated_images(t, 8, epoch=4), generated_images(t, 8))


def test_keeping_weights_changes_nothing_else_and_is_off_by_default():
    plain = make_trainer(num_epochs=5, snapshot_every=2)
    kept = make_trainer(num_epochs=5, snapshot_every=2, keep_weights=True)
    assert plain.fit().as_dict() == kept.fit().as_dict()
    assert plain.history.weights == [] and len(kept.history.weights) == 4
    assert all(torch.equal(a, b) for a, b in zip(plain.generator.state_dict().values(), kept.generator.state_dict().values()))


def test_kept_weights_survive_a_checkpoint_and_resuming(tmp_path):
    a = make_trainer(num_epochs=6, snapshot_every=2, keep_weights=True)
    a.fit(3)
    a.save_checkpoint(tmp_path / "a.pt")
    b = make_trainer(num_epochs=6, snapshot_every=2, keep_weights=True)
    b.load_checkpoint(tmp_path / "a.pt")
    assert [e for e, _ in b.history.weights] == [0, 2, 3]
    b.fit(3)
    straight = make_trainer(num_epochs=6, snapshot_every=2, keep_weights=True)
    straight.fit(3)
    straight.fit(3)
    assert [e for e, _ in b.history.weights] == [e for e, _ in straight.history.weights] == [0, 2, 3, 4, 6]
    for (_, x), (_, y) in zip(b.history.weights, straight.history.weights):
        assert all(torch.equal(x[k], y[k]) for k in x)


def test_generator_at_an_epoch_without_weights_says_which_epochs_exist():
    t = make_trainer(num_epochs=3, snapshot_every=2, keep_weights=True)
    t.fit()
    with pytest.raises(ValueError, match=r"epoch 1.*\[0, 2, 3\]"):
        t.generator_at(1)
    with pytest.raises(ValueError, match="keep_weights"):
        make_trainer(num_epochs=3).generator_at(0)


def test_the_image_gans_keep_nine_generators_and_conditional_samples_follow_labels():
    recipe = CONDITIONAL_PRESETS["docs"]
    dataset = load_image_dataset("digits", 16, 1)
    trainer: GANTrainer = build_gan(type(recipe)(**{**asdict(recipe), "image_size": 16, "steps": 8, "width": 4}), dataset)
    trainer.fit()
    assert [e for e, _ in trainer.history.weights] == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    labels = torch.arange(6) % 10
    images = generated_images(trainer, 6, seed=1, epoch=8, labels=labels)
    assert images.shape == (6, 1, 16, 16)
    assert torch.equal(images, generated_images(trainer, 6, seed=1, labels=labels))
    assert not torch.equal(images, generated_images(trainer, 6, seed=1, labels=(labels + 1) % 10))


# --------------------------------------------------------------------------------------
# The presets gan_metrics.py loads from the cache
# --------------------------------------------------------------------------------------
def test_conditional_gan_constants_match_the_shared_presets():
    """gan_metrics.py evaluates the conditional GAN that conditional_gan.py caches,
    found under modules.experiments.dcgan.CONDITIONAL_PRESETS: the two must describe one recipe."""
    for preset, values in recipe_presets("conditional_gan").items():  # the flags' defaults in each preset
        recipe = asdict(CONDITIONAL_PRESETS[preset])
        assert recipe["conditional"] is True
        assert {k: recipe[k] for k in values} == values, preset
    # everything else is the DCGAN's recipe
    for preset in ("full", "docs"):
        differ = {k for k, v in asdict(CONDITIONAL_PRESETS[preset]).items() if asdict(DCGAN_PRESETS[preset])[k] != v}
        assert differ <= {"conditional", "steps"}, differ


class _Stop(Exception):
    """Ends the script at the point the test has seen enough."""


def _stop(*args, **kwargs):
    raise _Stop


@pytest.mark.parametrize("preset", ["docs", "full"])
def test_gan_metrics_evaluates_the_lessons_presets(monkeypatch, preset):
    """gan_metrics.py, run with ``--preset``, picks that preset's DCGAN and conditional
    DCGAN.  It is stopped at its first step after choosing them (loading their
    training data), before it trains or records anything."""
    path = script_path("gan_metrics")
    monkeypatch.setattr(sys, "argv", [str(path), "--preset", preset])
    monkeypatch.delenv("GAN_COURSE_PRESET", raising=False)
    monkeypatch.setattr(modules.experiments.dcgan.GANRecipe, "load_data", _stop)
    monkeypatch.setattr(modules.evaluation.feature_metrics, "feature_extractor", _stop)
    monkeypatch.setattr(modules.experiments.dcgan, "pretrained_gan", _stop)
    namespace = {"__name__": "__main__", "__file__": str(path)}
    with pytest.raises(_Stop):
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    assert namespace["dcgan_recipe"] == DCGAN_PRESETS[preset]
    assert namespace["cgan_recipe"] == CONDITIONAL_PRESETS[preset]
    assert DCGAN_PRESETS[preset] != CONDITIONAL_PRESETS[preset]


# --------------------------------------------------------------------------------------
# Bad input: one line on stderr, exit status 2, before any training
# --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    "args, words",
    [
        (("--samples", "50"), ["50 samples", "64-dimensional", "singular covariance", "at least d + 1 = 65"]),
        (("--real-images", "100"), ["singular covariance", "--real-images"]),
        (("--k", "1000"), ["k=1000", "1001 samples"]),
        (("--sizes", "100,900"), ["--sizes 900", "2 x 900"]),
        (("--sizes", "1"), ["--sizes"]),
        (("--features", "nope"), ["--features", "digits", "inception"]),
        (("--samples", "-3"), ["--samples", ">= 2"]),
        (("--noise", "0"), ["--noise", "positive"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words):
    run = run_script_here("gan_metrics", *DOCS, *args)
    assert run.returncode == 2, (run.returncode, run.stderr[-800:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "DCGAN of lesson 12.1.2" not in run.stdout  # stopped before loading or training a GAN
