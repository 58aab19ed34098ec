"""Runs on a machine without a display: figures as files, samples as PNGs, colour
folders, TensorBoard, progress of worker processes, and help that says what the docs
preset changes.

The slow test runs every lesson script with ``--save-figures`` after the site build
(whose model cache makes the runs quick) and checks that the files are exactly the
figures the build drew for that script, named by their labels.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from course import LESSON_SCRIPTS, ROOT, run_script, run_script_here  # noqa: E402
from modules.experiments.dcgan import GANRecipe, build_gan  # noqa: E402
from modules.figures import output  # noqa: E402
from modules.figures.plotting import strip_animation  # noqa: E402
from modules.game import tensorboard  # noqa: E402
from modules.game.runs import run_in_workers  # noqa: E402


@pytest.fixture
def no_figures():
    plt.close("all")
    yield
    plt.close("all")


def tiny_recipe(**kw) -> GANRecipe:
    return GANRecipe(**{"image_size": 8, "width": 4, "latent_dim": 8, "batch_size": 8, "steps": 6, "ema_decay": 0.9, "cpu_threads": 1, **kw})


def write_colour_folder(folder: Path, n: int = 12) -> Path:
    """``n`` small RGB images, red ones and blue ones, in one flat folder."""
    folder.mkdir(parents=True)
    for i in range(n):
        colour = (220, 30, 30) if i % 2 else (30, 30, 220)
        Image.new("RGB", (10, 10), colour).save(folder / f"img{i:02d}.png")
    return folder


# -- figures as files ----------------------------------------------------------------------
def test_save_figures_names_each_figure_by_its_label(tmp_path, no_figures, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/somewhere/my_script.py"])
    for label in ("losses", "losses", ""):
        fig = plt.figure(figsize=(2, 1))
        fig.set_label(label)
    frames = torch.rand(3, 2, 1, 8, 8) * 2 - 1
    animation = strip_animation(frames, label="walk", nrow=2)  # noqa: F841 (kept alive, as a script keeps it)
    written = output.save_figures(tmp_path / "figs")
    names = sorted(p.name for p in written)
    assert names == sorted(["my_script-losses.png", "my_script-losses-2.png", "my_script-figure3.png", "my_script-walk.png", "my_script-walk.gif"])
    assert all(p.is_absolute() and p.stat().st_size > 0 for p in written)
    with Image.open(tmp_path / "figs" / "my_script-walk.gif") as gif:
        assert gif.n_frames == 3, "the animation is saved frame by frame"
    with Image.open(tmp_path / "figs" / "my_script-losses.png") as png:
        assert png.size == (2 * output.DPI, 1 * output.DPI), "saved at the high-density resolution"


def test_a_run_without_display_says_how_to_keep_its_figures(no_figures, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["gan_demo.py"])
    monkeypatch.delitem(sys.modules, "sphinx_gallery", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    plt.figure().set_label("x")
    assert output.show_figures(None) == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--save-figures DIR" in err[0] and "no display" in err[0]
    plt.close("all")
    output.show_figures(None)  # no figures: nothing to say
    assert capsys.readouterr().err == ""


def test_save_figures_flag_refuses_a_file_with_one_line(tmp_path):
    target = tmp_path / "not-a-folder.txt"
    target.write_text("x")
    run = run_script_here("dcgan_upsampling", "--preset", "docs", "--save-figures", str(target))
    assert run.returncode == 2 and run.stderr.strip().splitlines() == [f"dcgan_upsampling.py: error: --save-figures is a file, not a folder (got {target})"]


# -- samples as PNG files ------------------------------------------------------------------
def test_sample_pngs_writes_grey_and_colour_images_with_exact_pixels(tmp_path):
    grey = torch.tensor([-1.0, 0.0, 1.0, 0.5]).view(1, 1, 2, 2)
    folder = output.sample_pngs(grey, tmp_path / "grey")
    assert folder.is_absolute() and [p.name for p in folder.iterdir()] == ["sample-00000.png"]
    with Image.open(folder / "sample-00000.png") as img:
        assert img.mode == "L" and np.asarray(img).tolist() == [[0, 128], [255, 191]]
    colour = torch.zeros(2, 3, 4, 4)
    colour[:, 0] = 1.0  # red
    output.sample_pngs(colour, tmp_path / "colour", labels=torch.tensor([3, 4]))
    names = sorted(p.name for p in (tmp_path / "colour").iterdir())
    assert names == ["sample-00000-c3.png", "sample-00001-c4.png"]
    with Image.open(tmp_path / "colour" / names[0]) as img:
        assert img.mode == "RGB" and img.getpixel((0, 0)) == (255, 128, 128)


def test_export_samples_writes_count_images_of_the_moving_average_generator(tmp_path, one_thread, capsys):
    recipe = tiny_recipe(conditional=True)
    trainer = build_gan(recipe, recipe.load_data())
    folder = output.export_samples(trainer, tmp_path / "pngs", 23, seed=1, classes=10)
    files = sorted(folder.glob("*.png"))
    assert len(files) == 23 and files[3].name == "sample-00003-c3.png"
    assert "moving-average generator" in capsys.readouterr().out
    assert output.export_samples(trainer, None, 5) is None


# -- colour folders ------------------------------------------------------------------------
def test_channels_3_trains_a_colour_folder_in_colour(tmp_path, one_thread):
    folder = write_colour_folder(tmp_path / "colour")
    recipe = tiny_recipe(data_dir=str(folder), channels=3)
    dataset = recipe.load_data()
    assert dataset.images.shape[1:] == (3, 8, 8)
    red = dataset.images[1]
    assert red[0].mean() > 0.5 and red[2].mean() < -0.5, "the red image stays red"
    trainer = build_gan(recipe, dataset)
    trainer.fit(2)
    assert trainer.sample(4).shape == (4, 3, 8, 8)
    with pytest.raises(ValueError, match="--channels 3 is for a --data-dir folder"):
        tiny_recipe(channels=3)


def test_a_script_trains_a_colour_folder_and_writes_its_samples(tmp_path):
    folder = write_colour_folder(tmp_path / "colour", n=16)
    run = run_script(
        "dcgan_train", "--preset", "docs", "--data-dir", str(folder), "--channels", "3", "--image-size", "8",
        "--width", "4", "--batch-size", "8", "--steps", "3", "--sample-pngs", str(tmp_path / "samples"), "--sample-count", "5",
        env={"GAN_COURSE_CACHE": str(tmp_path / "cache")},
    )
    assert run.returncode == 0, run.stderr
    files = sorted((tmp_path / "samples").glob("*.png"))
    assert len(files) == 5
    with Image.open(files[0]) as img:
        assert img.mode == "RGB" and img.size == (8, 8)
    assert f"to {tmp_path / 'samples'}" in run.stdout, "the message names the full path"


# -- TensorBoard ---------------------------------------------------------------------------
class Recorder:
    """Stands in for ``SummaryWriter``: keeps what was logged."""

    def __init__(self):
        self.scalars, self.images, self.flushed = [], [], 0

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))

    def add_image(self, tag, image, step):
        self.images.append((tag, tuple(image.shape), step))

    def flush(self):
        self.flushed += 1


def test_tensorboard_logs_every_step_and_the_grid_and_leaves_training_alone(tmp_path, one_thread):
    recipe = tiny_recipe()
    dataset = recipe.load_data()
    plain = build_gan(recipe, dataset)
    plain.fit()
    recorder = Recorder()
    logged = build_gan(recipe, dataset, callbacks=[tensorboard.TensorBoardLogger(tmp_path, every=4, writer=recorder)])
    logged.fit()
    assert all(torch.equal(a, b) for a, b in zip(plain.generator.state_dict().values(), logged.generator.state_dict().values()))
    steps = sorted({step for _, _, step in recorder.scalars})
    assert steps == list(range(1, recipe.steps + 1))
    assert {tag for tag, _, _ in recorder.scalars} == set(tensorboard.SCALARS.values())
    assert [step for _, _, step in recorder.images] == [4, 6] and recorder.images[0][1][0] == 3
    assert recorder.flushed == 1

    replayed = Recorder()  # a run from the model cache writes the same numbers
    tensorboard.TensorBoardLogger(tmp_path, writer=replayed).replay(logged)
    assert replayed.scalars == recorder.scalars


def test_tensorboard_flag_without_the_package_is_refused_with_one_line(monkeypatch):
    monkeypatch.setattr(tensorboard, "missing", lambda: "needs the tensorboard package: " + tensorboard.INSTALL)
    import modules.cli

    monkeypatch.setattr(modules.cli, "tensorboard_missing", tensorboard.missing)
    run = run_script_here("dcgan_train", "--preset", "docs", "--tensorboard", "runs")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"dcgan_train.py: error: --tensorboard needs the tensorboard package: {tensorboard.INSTALL} (got runs)"
    ]


# -- worker processes show their progress -------------------------------------------------
def test_workers_show_a_progress_bar_only_when_asked(capsys):
    calls = [(time.sleep, (0.2,)) for _ in range(3)]
    run_in_workers(calls, 2, progress=True)
    assert "3/3" in capsys.readouterr().err
    run_in_workers(calls, 2, progress=False)
    assert capsys.readouterr().err == ""


# -- help ------------------------------------------------------------------------------------
def test_help_shows_each_flags_docs_preset_value():
    run = run_script_here("dcgan_train", "--help")
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    assert "--steps STEPS training steps (default: 3000; docs preset: 1000)" in text
    assert "(default: auto; docs preset: cpu)" in text
    assert "--beta1 BETA1 Adam beta1 (default: 0.5)" in text, "a value the docs preset keeps has no second value"


# -- the test command stops at once without a browser --------------------------------------
def test_the_browser_check_stops_at_once_with_one_line(tmp_path):
    proc = subprocess.run([str(ROOT / ".ci" / "chromium")], env={"PATH": "/usr/bin:/bin", "GAN_COURSE_CHROMIUM": str(tmp_path / "none")},
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\n\t\.ci/chromium\n\t\$\(VPY\) -m pytest", makefile, re.M), "make test checks the browser before the tests"


# -- every script writes every figure it draws ----------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.stem for p in LESSON_SCRIPTS))
def test_save_figures_writes_every_figure_the_build_drew(site, script, tmp_path):
    path = next(p for p in LESSON_SCRIPTS if p.stem == script)
    drawn = ROOT / "auto_examples" / path.parent.name / "images" / "named"
    animations = sorted(p.stem for p in drawn.glob(f"{script}-*.html"))  # the build keeps an animation as its player
    named = sorted([p.stem for p in drawn.glob(f"{script}-*.png")] + animations)
    assert named, f"the build drew no labelled figure for {script}"
    run = run_script(script, "--preset", "docs", "--save-figures", str(tmp_path / "figures"), timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    saved = sorted(p.stem for p in (tmp_path / "figures").glob("*.png"))
    assert saved == named, f"{script}: --save-figures wrote {saved}, the build drew {named}"
    assert sorted(p.stem for p in (tmp_path / "figures").glob("*.gif")) == animations, "an animation is also written frame by frame"
    assert f"to {tmp_path / 'figures'}" in run.stdout
