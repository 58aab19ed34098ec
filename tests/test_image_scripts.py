"""The image lessons' scripts (12.1.2 DCGAN, 12.1.3 conditional GANs), run as a student
runs them: quality gates in the docs preset, checkpoints and resume through the
command line, a student's own images, and bad input ending in one line and exit 2.
"""

from __future__ import annotations

import re
from dataclasses import asdict

import pytest
import torch
from PIL import Image

from lesson_checks import recipe_presets
from course import printed_lines, run_script, run_script_here, script_help
from modules.experiments.dcgan import DCGAN_PRESETS

DOCS = ("--preset", "docs")
pytestmark = pytest.mark.slow


def one_line_error(run) -> str:
    assert run.returncode == 2, (run.returncode, run.stdout[-2000:], run.stderr[-2000:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    return lines[0]


# --------------------------------------------------------------------------------------
# Quality gates (docs preset, exactly as the site build runs them)
# --------------------------------------------------------------------------------------
def test_dcgan_covers_the_digit_classes(site):
    """At least 9 of the 10 digits, each in at least 3% of 1,000 samples (the build's run)."""
    stdout = "\n".join(printed_lines(site.html, "dcgan_train"))
    shares = re.search(r"^generated classes: (.*)$", stdout, re.M)
    assert shares, stdout[-2000:]
    values = [float(v) for v in re.findall(r"\d=(\d+\.\d)%", shares.group(1))]
    assert len(values) == 10
    assert sum(v >= 3.0 for v in values) >= 9, shares.group(0)
    accuracy = float(re.search(r"digit classifier: (\d+\.\d)% accurate", stdout).group(1))
    assert accuracy >= 95.0  # the judge itself must be trustworthy


def test_conditional_gan_draws_the_digit_asked_for(site):
    stdout = "\n".join(printed_lines(site.html, "conditional_gan"))
    match = re.search(r"^samples recognised as the digit asked for: (\d+\.\d)% of 1000$", stdout, re.M)
    assert match, stdout[-2000:]
    assert float(match.group(1)) >= 80.0


def test_latent_and_upsampling_scripts_run(site):
    """What the build's runs of the two scripts printed."""
    latent = "\n".join(printed_lines(site.html, "dcgan_latent"))
    generated, training = map(float, re.search(r"generated (\d+\.\d+), training images (\d+\.\d+)", latent).groups())
    assert generated > 0.5 * training  # samples are not near-copies of training images
    up = "\n".join(printed_lines(site.html, "dcgan_upsampling"))
    strength = dict(re.findall(r"^untrained (\w+)\s*: checkerboard strength (\d\.\d+)$", up, re.M))
    assert float(strength["transposed"]) > 10 * float(strength["resize"])  # the artefact is real


def test_dcgan_train_constants_match_the_shared_presets():
    """dcgan_latent.py and dcgan_upsampling.py load the DCGAN from the cache under the
    recipe in modules.experiments.dcgan.DCGAN_PRESETS; dcgan_train.py must train that recipe."""
    for preset, values in recipe_presets("dcgan_train").items():  # the flags' defaults in each preset
        recipe = asdict(DCGAN_PRESETS[preset])
        assert {k: recipe[k] for k in values} == values, preset


# --------------------------------------------------------------------------------------
# Checkpoints through the command line
# --------------------------------------------------------------------------------------
def generator_state(path):
    return torch.load(path, map_location="cpu", weights_only=True)["generator"]


def test_resume_equals_one_straight_run(tmp_path):
    short = ("--steps", "12", "--batch-size", "16")
    a, b, c = tmp_path / "a.pt", tmp_path / "b.pt", tmp_path / "c.pt"
    first = run_script("dcgan_train", *DOCS, "--steps", "5", "--batch-size", "16", "--checkpoint", str(a))
    assert first.returncode == 0, first.stderr[-2000:]
    resumed = run_script("dcgan_train", *DOCS, *short, "--resume", str(a), "--checkpoint", str(b))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed from" in resumed.stdout and "at step 5" in resumed.stdout
    straight = run_script("dcgan_train", *DOCS, *short, "--checkpoint", str(c))
    assert straight.returncode == 0, straight.stderr[-2000:]
    sb, sc = generator_state(b), generator_state(c)
    assert sb.keys() == sc.keys()
    assert all(torch.equal(sb[k], sc[k]) for k in sb)
    # and the checkpoint holds a trained model another script can use
    latent = run_script("dcgan_latent", *DOCS, "--checkpoint", str(c), "--pairs", "1", "--keyframes", "2", "--frames-between", "1")
    assert latent.returncode == 0, latent.stderr[-2000:]
    assert f"generator: {c}, trained 12 steps" in latent.stdout


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    ckpt = tmp_path / "w16.pt"
    assert run_script("dcgan_train", *DOCS, "--steps", "2", "--batch-size", "8", "--checkpoint", str(ckpt)).returncode == 0
    run = run_script("dcgan_train", *DOCS, "--steps", "4", "--width", "8", "--resume", str(ckpt))
    assert "different" in one_line_error(run)


@pytest.mark.parametrize(
    "script,args,expected",
    [
        ("dcgan_train", ("--image-size", "48"), "power of two"),
        ("dcgan_train", ("--image-size", "0"), "power of two"),
        ("dcgan_train", ("--dataset", "cifar-100"), "invalid choice"),
        ("dcgan_train", ("--beta1", "1.5"), "--beta1"),
        ("dcgan_train", ("--device", "tpu"), "unknown device"),
        ("conditional_gan", ("--digit", "12"), "--digit"),
        ("dcgan_train", ("--resume", "missing.pt"), "no checkpoint"),
        ("dcgan_latent", ("--checkpoint", "missing.pt"), "no checkpoint"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(script, args, expected):
    assert expected in one_line_error(run_script_here(script, *DOCS, *args))


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all\n", b"PK\x03\x04 truncated zip"])
def test_corrupt_checkpoint_gives_one_line_and_exit_2(tmp_path, content):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(content)
    assert "checkpoint" in one_line_error(run_script("dcgan_train", *DOCS, "--resume", str(bad)))
    assert "checkpoint" in one_line_error(run_script("dcgan_latent", *DOCS, "--checkpoint", str(bad)))


def test_foreign_torch_file_is_refused(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(3)}}, foreign)
    assert "not a checkpoint written by this course" in one_line_error(run_script("dcgan_latent", *DOCS, "--checkpoint", str(foreign)))


def test_bad_input_leaves_nothing_half_written(tmp_path):
    out = tmp_path / "out.pt"
    one_line_error(run_script("dcgan_train", *DOCS, "--image-size", "48", "--checkpoint", str(out)))
    one_line_error(run_script("dcgan_train", *DOCS, "--resume", str(tmp_path / "missing.pt"), "--checkpoint", str(out)))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# Data: offline MNIST, a student's own folder
# --------------------------------------------------------------------------------------
def test_mnist_offline_names_the_offline_alternative(tmp_path):
    env = {"GAN_COURSE_OFFLINE": "1", "GAN_COURSE_DATA": str(tmp_path)}
    for script in ("dcgan_train", "conditional_gan"):
        message = one_line_error(run_script(script, "--dataset", "mnist", "--steps", "2", "--device", "cpu", env=env))
        assert "--dataset mnist-5k" in message


def test_trains_on_a_folder_of_images(tmp_path):
    folder = tmp_path / "shapes"
    for label, value in (("dark", 40), ("light", 220)):
        (folder / label).mkdir(parents=True)
        for i in range(6):
            Image.new("RGB", (20 + i, 24), (value, value - 10, value)).save(folder / label / f"{i}.png")
    run = run_script("dcgan_train", *DOCS, "--data-dir", str(folder), "--image-size", "16", "--steps", "3", "--batch-size", "4")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "data=folder: 12 images, 16x16" in run.stdout
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(3):
        Image.new("L", (30, 30), 30 * i).save(flat / f"img{i}.jpg")
    run = run_script("conditional_gan", *DOCS, "--data-dir", str(flat), "--steps", "2")
    assert "class sub-folders" in one_line_error(run)
    assert "is not a folder" in one_line_error(run_script("dcgan_train", *DOCS, "--data-dir", str(tmp_path / "nope")))
    ten = tmp_path / "ten"  # ten classes, like the digits, but not digits: no digit classifier
    for c in range(10):
        (ten / f"class{c}").mkdir(parents=True)
        Image.new("L", (16, 16), 20 * c).save(ten / f"class{c}" / "a.png")
    run = run_script("conditional_gan", *DOCS, "--data-dir", str(ten), "--image-size", "16", "--steps", "2", "--batch-size", "4", "--digit", "3")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "10 classes" in run.stdout and "recognised" not in run.stdout


@pytest.mark.parametrize("script", ["dcgan_train", "dcgan_latent", "dcgan_upsampling", "conditional_gan"])
def test_help_lists_the_flags(script):
    run = script_help(script)
    assert run.returncode == 0 and "--preset" in run.stdout and "--seed" in run.stdout


def test_full_preset_runs_the_classic_setting_on_mnist_files(tmp_path):
    """The full preset (MNIST, 64x64, width 64, batch 128, Adam 2e-4 / beta1 0.5) on
    small MNIST-format files the test writes, for two steps on the CPU."""
    from test_image_data import write_mnist_files

    write_mnist_files(tmp_path, "MNIST")
    env = {"GAN_COURSE_OFFLINE": "1", "GAN_COURSE_DATA": str(tmp_path)}
    run = run_script("dcgan_train", "--steps", "2", "--device", "cpu", env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "preset=full device=cpu data=mnist" in run.stdout and "64x64" in run.stdout
    assert "net.12   ConvTranspose2d  -> (1, 64, 64)" in run.stdout  # four doublings from 4x4
    assert "(512, 4, 4)" in run.stdout  # width 64 * 8 channels at 4x4
