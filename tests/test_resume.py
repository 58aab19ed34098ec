"""``--checkpoint``, ``--checkpoint-every`` and ``--resume`` for the scripts whose full
preset trains long: ``wgan_gp.py``, ``stylegan_lite.py``, ``pix2pix.py`` and
``cyclegan.py`` (the mechanism: :func:`modules.experiments.workers.trained`, which
:func:`~modules.experiments.dcgan.pretrained_gan` uses too).

The gate: a run trained half way, saved, and resumed ends exactly where a straight
run ends (weights, losses, snapshots and every random-number generator, the global one
that pix2pix's dropout draws from included), whether the checkpoint was written at
the end of a shorter run, in the middle of the run by ``--checkpoint-every``, or from
a run the model cache held.  Bad files end in one line and exit status 2.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import pytest
import torch

from course import run_script, run_script_here
from modules.data.images import load_image_dataset
from modules.experiments.dcgan import WGAN_GP, GANRecipe, build_gan, pretrained_gan
from modules.experiments.stylegan import StyleRecipe, build_style_gan
from modules.experiments.translation import CycleGANRecipe, Pix2PixRecipe, build_cyclegan, build_pix2pix
from modules.experiments.workers import read_resume, run_path, trained
from modules.game.history import Callback, EvalEvery
from modules.game.loop import GANTrainer
from modules.storage.checkpoints import CheckpointError, cache_path, load_checkpoint

pytestmark = pytest.mark.usefixtures("one_thread")

STEPS = 6  # every run below: 3 steps, saved, resumed to 6, against 6 straight


def digits8():
    return load_image_dataset("digits", 8)


def measure(trainer):
    """What the tiny WGAN-GP's callback measures (the script's measures samples too)."""
    return float(trainer.sample(4, generator=torch.Generator().manual_seed(1)).mean())


# Each script's runs, tiny: (cache kind, build, {run name: recipe} (None: the script has
# one run and no names), the build's other arguments, fresh for each trainer)
SCRIPTS = {
    "wgan_gp": (
        "gan", build_gan,
        {None: GANRecipe(**WGAN_GP, dataset="digits", image_size=8, latent_dim=8, width=4, batch_size=8, steps=STEPS, cpu_threads=1)},
        lambda: {"dataset": digits8(), "callbacks": [EvalEvery(2, measure)]},
    ),
    "stylegan_lite": (
        "stylegan", build_style_gan,
        {None: StyleRecipe(dataset="digits", image_size=8, z_dim=8, w_dim=8, width=8, mapping_layers=2, d_width=4, batch_size=8, steps=STEPS)},
        lambda: {"dataset": digits8()},
    ),
    "pix2pix": (
        "pix2pix", build_pix2pix,
        {name: Pix2PixRecipe(image_size=16, scenes=60, width=4, d_width=4, d_layers=1, batch_size=4, steps=STEPS, l1_weight=w) for name, w in (("L1 + GAN", 100.0), ("GAN only", 0.0))},
        dict,
    ),
    "cyclegan": (
        "cyclegan", build_cyclegan,
        {name: CycleGANRecipe(image_size=16, width=4, depth=2, d_width=4, d_layers=1, history=4, batch_size=4, steps=STEPS, cycle_weight=w) for name, w in (("cycle", 10.0), ("GAN only", 0.0))},
        dict,
    ),
}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """A model cache of the test's own: nothing is shared with a build or another test."""
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path / "cache"))


def names_of(runs: dict) -> list[str] | None:
    return None if None in runs else list(runs)


def straight(build, recipe, args) -> GANTrainer:
    trainer = build(recipe, **args())
    trainer.fit()
    return trainer


def assert_same_state(a: dict, b: dict, what: str) -> None:
    assert a.keys() == b.keys(), what
    for key in a:
        assert torch.equal(a[key], b[key]), f"{what}.{key}"


def assert_same_run(a: GANTrainer, b: GANTrainer) -> None:
    """Bit for bit the same run: weights (and BatchNorm statistics, the style
    generator's noise state), losses, snapshots and random-number generators."""
    assert a.epoch == b.epoch == STEPS
    assert_same_state(a.generator.state_dict(), b.generator.state_dict(), "generator")
    assert_same_state(a.discriminator.state_dict(), b.discriminator.state_dict(), "discriminator")
    assert (a.ema is None) == (b.ema is None)
    if a.ema is not None:
        assert_same_state(a.ema_generator.state_dict(), b.ema_generator.state_dict(), "ema_generator")
    assert a.history.as_dict() == b.history.as_dict()
    # with 6 steps every recipe snapshots every step, in the short run as in the long one
    assert [e for e, _ in a.history.snapshots] == [e for e, _ in b.history.snapshots]
    assert all(torch.equal(x, y) for (_, x), (_, y) in zip(a.history.snapshots, b.history.snapshots))
    assert torch.equal(a.rng.get_state(), b.rng.get_state())
    assert torch.equal(a.global_rng["cpu"], b.global_rng["cpu"])  # dropout drew the same masks


# --------------------------------------------------------------------------------------
# resume equals a straight run, for each script's recipe
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_resume_equals_a_straight_run(script, tmp_path):
    kind, build, runs, args = SCRIPTS[script]
    names, ckpt = names_of(runs), tmp_path / "ckpt.pt"
    halves = [replace(r, steps=STEPS // 2) for r in runs.values()]
    trained(kind, halves, build, workers=1, names=names, checkpoint=ckpt, **args())
    files = [run_path(ckpt, name) for name in runs]
    assert all(f.is_file() and load_checkpoint(f, kind="gan")["epoch"] == STEPS // 2 for f in files)
    resumed = trained(kind, list(runs.values()), build, workers=1, names=names, resume=ckpt, **args())
    for trainer, recipe in zip(resumed, runs.values()):
        assert_same_run(trainer, straight(build, recipe, args))
        # a run resumed from a shorter one (its snapshots taken on another schedule)
        # is not what the cache must give a build: it stays out of it
        assert not cache_path(kind, asdict(recipe)).exists()
    if script == "wgan_gp":  # what the callback measured before the stop is kept (and where the short run ended)
        kept = resumed[0].callbacks[0].results
        assert [r for r in kept if r[0] != STEPS // 2] == straight(build, runs[None], args).callbacks[0].results
        assert [e for e, _ in kept] == [2, 3, 4, 6]


class Interrupted(Exception):
    pass


class StopAt(Callback):
    """Stops the run at ``step``, as Ctrl-C or a killed job would."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_epoch_end(self, trainer, epoch, record) -> None:
        if epoch == self.step:
            raise Interrupted(f"stopped at step {epoch}")


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_checkpoint_every_lets_an_interrupted_run_resume(script, tmp_path, monkeypatch):
    """--checkpoint-every 2 saves at steps 2 and 4; the run dies at step 5; --resume goes
    on from step 4 and ends where the uninterrupted run ends, which then goes into the
    model cache (it is the very run a straight run makes)."""
    kind, build, runs, args = SCRIPTS[script]
    name, recipe = next(iter(runs.items()))
    names, ckpt = names_of({name: recipe}), tmp_path / "ckpt.pt"
    stopped = args()
    stopped["callbacks"] = [*stopped.get("callbacks", []), StopAt(5)]
    with pytest.raises(Interrupted):
        trained(kind, [recipe], build, workers=1, names=names, checkpoint=ckpt, checkpoint_every=2, **stopped)
    file = run_path(ckpt, name)
    assert load_checkpoint(file, kind="gan")["epoch"] == 4
    (resumed,) = trained(kind, [recipe], build, workers=1, names=names, resume=ckpt, **args())
    assert_same_run(resumed, straight(build, recipe, args))
    assert cache_path(kind, asdict(recipe)).is_file()

    def no_training(*_, **__):
        raise AssertionError("trained although the cache held the run")

    monkeypatch.setattr(GANTrainer, "fit", no_training)
    (cached,) = trained(kind, [recipe], build, workers=1, **args())
    assert_same_run(cached, resumed)


def test_a_checkpoint_of_a_cached_run_resumes_exactly(tmp_path):
    """--checkpoint of a run the model cache held (trained in another process, say a
    worker) keeps where that run left the global generator, which pix2pix's dropout
    draws from: resuming it is exact too."""
    kind, build, runs, args = SCRIPTS["pix2pix"]
    recipe = runs["L1 + GAN"]
    half = replace(recipe, steps=STEPS // 2)
    trained(kind, [half], build, workers=1, **args())  # into the cache
    torch.manual_seed(123)  # whatever this process drew since
    ckpt = tmp_path / "ckpt.pt"
    trained(kind, [half], build, workers=1, names=["L1 + GAN"], checkpoint=ckpt, **args())  # from the cache
    (resumed,) = trained(kind, [recipe], build, workers=1, names=["L1 + GAN"], resume=ckpt, **args())
    assert_same_run(resumed, straight(build, recipe, args))


def test_pretrained_gan_resumes_to_the_straight_run(tmp_path):
    """The DCGAN family's way in (dcgan_train.py, wgan_gp.py): the same mechanism."""
    _, _, runs, args = SCRIPTS["wgan_gp"]
    recipe = runs[None]
    ckpt = tmp_path / "wgan.pt"
    pretrained_gan(replace(recipe, steps=STEPS // 2), checkpoint=ckpt, **args())
    resumed = pretrained_gan(recipe, resume=ckpt, **args())
    assert_same_run(resumed, straight(build_gan, recipe, args))


# --------------------------------------------------------------------------------------
# file names, and files that cannot be resumed
# --------------------------------------------------------------------------------------
def test_run_path_puts_the_run_name_before_the_suffix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_path("ckpt.pt", "L1 + GAN") == tmp_path / "ckpt-l1_gan.pt"
    assert run_path("ckpt.pt", "GAN only") == tmp_path / "ckpt-gan_only.pt"
    assert run_path("runs/ckpt", "cycle") == tmp_path / "runs" / "ckpt-cycle"
    assert run_path("ckpt.pt") == tmp_path / "ckpt.pt"  # one run: the path itself, made full


@pytest.fixture
def half_files(tmp_path):
    """3-step pix2pix checkpoints of both runs (ckpt-l1_gan.pt, ckpt-gan_only.pt)."""
    kind, build, runs, args = SCRIPTS["pix2pix"]
    halves = [replace(r, steps=STEPS // 2) for r in runs.values()]
    trained(kind, halves, build, workers=1, names=list(runs), checkpoint=tmp_path / "ckpt.pt")
    return tmp_path / "ckpt.pt"


def one_line(info: pytest.ExceptionInfo) -> str:
    message = str(info.value)
    assert message.strip() and "\n" not in message, message
    return message


def test_unusable_resume_files_are_refused_with_one_line(half_files, tmp_path):
    recipe = SCRIPTS["pix2pix"][2]["L1 + GAN"]
    file = run_path(half_files, "L1 + GAN")
    assert read_resume(file, recipe, "pix2pix")["epoch"] == STEPS // 2  # the good case
    cases = [
        (tmp_path / "missing.pt", recipe, "pix2pix", "no checkpoint at"),
        (file, replace(recipe, d_width=8), "pix2pix", "different run (d_width 4 there, 8 here)"),
        (file, replace(recipe, lr=1e-3, seed=3), "pix2pix", "lr"),
        (file, replace(recipe, steps=2), "pix2pix", "more than --steps 2"),
        (file, SCRIPTS["cyclegan"][2]["cycle"], "cyclegan", "holds a pix2pix run, not a cyclegan run"),
    ]
    for path, wanted, kind, expected in cases:
        with pytest.raises(CheckpointError) as info:
            read_resume(path, wanted, kind)
        message = one_line(info)
        assert expected in message and str(path) in message
    broken = tmp_path / "broken.pt"
    broken.write_bytes(file.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        read_resume(broken, recipe, "pix2pix")


def test_every_file_is_checked_before_any_run_trains(half_files, monkeypatch):
    kind, build, runs, args = SCRIPTS["pix2pix"]
    run_path(half_files, "GAN only").unlink()

    def no_training(*_, **__):
        raise AssertionError("a run trained before every resume file was checked")

    monkeypatch.setattr(GANTrainer, "fit", no_training)
    with pytest.raises(CheckpointError, match="no checkpoint at .*ckpt-gan_only.pt"):
        trained(kind, list(runs.values()), build, workers=1, names=list(runs), resume=half_files)


def test_checkpoint_every_needs_a_file_and_several_runs_need_names(tmp_path):
    kind, build, runs, args = SCRIPTS["pix2pix"]
    with pytest.raises(CheckpointError, match="--checkpoint-every needs --checkpoint"):
        trained(kind, list(runs.values())[:1], build, workers=1, checkpoint_every=2)
    with pytest.raises(ValueError, match="names"):
        trained(kind, list(runs.values()), build, workers=1, checkpoint=tmp_path / "x.pt")


# --------------------------------------------------------------------------------------
# through the command line
# --------------------------------------------------------------------------------------
TINY_PIX2PIX = ("--preset", "docs", "--image-size", "16", "--scenes", "60", "--width", "4", "--d-width", "4", "--d-layers", "1", "--batch-size", "4")


def one_line_error(run) -> str:
    assert run.returncode == 2, (run.returncode, run.stdout[-2000:], run.stderr[-2000:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    return lines[0]


@pytest.mark.slow
def test_pix2pix_script_resumes_to_the_straight_run(tmp_path):
    """pix2pix.py --steps 2 --checkpoint (both runs, trained side by side in worker
    processes), then --steps 4 --resume: each resumed run is the straight 4-step run."""
    first = run_script("pix2pix", *TINY_PIX2PIX, "--steps", "2", "--checkpoint", str(tmp_path / "a.pt"), env={"GAN_COURSE_CACHE": str(tmp_path / "cache")})
    assert first.returncode == 0, first.stderr[-2000:]
    for name in ("l1_gan", "gan_only"):
        assert f"saved checkpoint: {tmp_path / f'a-{name}.pt'}" in first.stdout
    resumed = run_script("pix2pix", *TINY_PIX2PIX, "--steps", "4", "--resume", str(tmp_path / "a.pt"), "--checkpoint", str(tmp_path / "b.pt"), env={"GAN_COURSE_CACHE": str(tmp_path / "cache")})
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    for name in ("l1_gan", "gan_only"):
        assert f"resumed from {tmp_path / f'a-{name}.pt'} at step 2" in resumed.stdout
        data = load_checkpoint(tmp_path / f"b-{name}.pt", kind="gan")
        recipe = Pix2PixRecipe(**data["recipe"])
        assert recipe.steps == 4 and data["epoch"] == 4
        whole = build_pix2pix(recipe)
        whole.fit()
        assert_same_state(data["generator"], whole.generator.state_dict(), "generator")
        assert_same_state(data["discriminator"], whole.discriminator.state_dict(), "discriminator")
        assert {k: data["history"][k] for k in whole.history.as_dict()} == whole.history.as_dict()


@pytest.mark.slow
def test_resume_of_another_recipe_or_a_missing_file_exits_2(tmp_path, half_files):
    """One line, exit status 2, the full path of the file named."""
    other = one_line_error(run_script_here("pix2pix", *TINY_PIX2PIX, "--d-width", "8", "--steps", "6", "--resume", str(half_files)))
    assert f"{run_path(half_files, 'L1 + GAN')} holds a different run" in other
    missing = one_line_error(run_script("stylegan_lite", "--preset", "docs", "--image-size", "8", "--width", "8", "--d-width", "4", "--resume", str(tmp_path / "none.pt")))
    assert f"no checkpoint at {tmp_path / 'none.pt'}" in missing
    every = one_line_error(run_script_here("cyclegan", "--preset", "docs", "--checkpoint-every", "100"))
    assert "--checkpoint-every needs --checkpoint" in every
