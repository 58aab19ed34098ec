"""The scripts of lessons 12.1.8 (pix2pix.py, cyclegan.py) and 12.1.9
(stylegan_lite.py) as a student runs them: every exercise flag is listed by
``--help``, and bad input (an image size the U-Net or the synthesis network cannot
take, a negative loss weight, psi outside [0, 1], an unknown domain or data set, a
CUDA device where there is none) ends in one line on stderr and exit status 2, before
any training; short runs record every value the lessons show.  The quality gates of
the docs presets are checked on the site build's records (``lesson_gates/``).
"""

from __future__ import annotations

import pytest

from course import printed_lines, run_script, run_script_here, script_help
from test_image_scripts import one_line_error as image_one_line_error

DOCS = ("--preset", "docs")
pytestmark = pytest.mark.slow

EXERCISE_FLAGS = {
    "pix2pix": ("--image-size", "--scenes", "--width", "--d-width", "--d-layers", "--l1-weight", "--batch-size", "--lr", "--steps", "--workers", "--seed", "--device"),
    "cyclegan": ("--image-size", "--style", "--width", "--depth", "--d-width", "--d-layers", "--cycle-weight", "--identity-weight", "--history", "--batch-size", "--lr", "--steps", "--workers"),
    "stylegan_lite": ("--dataset", "--image-size", "--z-dim", "--w-dim", "--width", "--mapping-layers", "--mixing-prob", "--d-width", "--batch-size", "--lr", "--steps", "--ema-decay", "--psi", "--crossover"),
}


def one_line_error(run) -> str:
    assert "step" not in run.stdout  # refused before any training
    return image_one_line_error(run)


@pytest.mark.parametrize("script", sorted(EXERCISE_FLAGS))
def test_help_lists_the_exercise_flags(script):
    run = script_help(script)
    assert run.returncode == 0, run.stderr
    missing = [flag for flag in EXERCISE_FLAGS[script] if flag not in run.stdout]
    assert not missing, missing


@pytest.mark.parametrize(
    "script,args,expected",
    [
        ("pix2pix", ("--image-size", "24"), "power of two from 16 to 256"),
        ("pix2pix", ("--image-size", "8"), "power of two from 16 to 256"),
        ("pix2pix", ("--l1-weight", "-1"), "--l1-weight must be a number >= 0"),
        ("pix2pix", ("--l1-weight", "nan"), "--l1-weight must be a number >= 0"),
        ("pix2pix", ("--image-size", "16", "--d-layers", "3"), "d_layers 3 is too deep"),
        ("pix2pix", ("--d-layers", "4"), "d_layers 4 is too deep for 32x32"),
        ("pix2pix", ("--device", "cuda:7"), "--device"),
        ("cyclegan", ("--style", "zebra"), "--style"),
        ("cyclegan", ("--cycle-weight", "-10"), "--cycle-weight must be a number >= 0"),
        ("cyclegan", ("--identity-weight", "-0.5"), "--identity-weight must be a number >= 0"),
        ("cyclegan", ("--depth", "6"), "depth must be from 2 to 5 for 32x32 images"),
        ("cyclegan", ("--image-size", "100"), "power of two from 16 to 256"),
        ("stylegan_lite", ("--psi", "1.5"), "[0, 1]"),
        ("stylegan_lite", ("--psi", "1,-0.2"), "[0, 1]"),
        ("stylegan_lite", ("--psi", "1,half"), "--psi"),
        ("stylegan_lite", ("--crossover", "9"), "--crossover must be from 0 to 8"),
        ("stylegan_lite", ("--image-size", "12"), "power of two from 8 to 128"),
        ("stylegan_lite", ("--mixing-prob", "1.5"), "--mixing-prob must be in [0, 1]"),
        ("stylegan_lite", ("--dataset", "celeba"), "invalid choice"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(script, args, expected):
    assert expected in one_line_error(run_script_here(script, *DOCS, *args))


@pytest.mark.parametrize(
    "script,args",
    [
        ("pix2pix", ("--steps", "2", "--scenes", "60")),
        ("cyclegan", ("--steps", "2", "--dataset", "mnist-5k")),  # MNIST would need a download
        ("stylegan_lite", ("--steps", "2", "--dataset", "digits")),  # MNIST would need a download
    ],
    ids=["pix2pix", "cyclegan", "stylegan_lite"],
)
def test_full_preset_networks_run(script, args, tmp_path):
    """The full preset's sizes and networks (64x64 translation, 32x32 StyleGAN) work
    end to end; only the length of training is cut (the full runs are for a GPU)."""
    run = run_script(script, *args, "--device", "cpu", env={"GAN_COURSE_CACHE": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "preset=full" in run.stdout
    size = "32x32" if script == "stylegan_lite" else "64x64"
    assert size in run.stdout.splitlines()[0]


def test_pix2pix_trains_on_a_folder_of_side_by_side_pairs(tmp_path):
    from test_translation_recipes import write_pairs

    write_pairs(tmp_path / "facades" / "train", n=6)
    args = ("--data-dir", str(tmp_path / "facades"), "--direction", "BtoA", "--image-size", "16", "--steps", "3", "--width", "4", "--d-width", "4", "--d-layers", "1")
    run = run_script("pix2pix", *DOCS, *args, env={"GAN_COURSE_CACHE": str(tmp_path / "cache")})
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"5 training pairs, 1 held out, 16x16 from {tmp_path / 'facades'}" in run.stdout
    assert "L1 + GAN (L1 weight 100): held-out L1" in run.stdout


@pytest.mark.parametrize("content", ["empty", "missing", "corrupt"])
def test_pix2pix_unusable_data_dir_gives_one_line(tmp_path, content):
    folder = tmp_path / "pairs"
    if content != "missing":
        folder.mkdir()
    if content == "corrupt":
        (folder / "a.jpg").write_bytes(b"\xff\xd8 truncated")
        (folder / "b.jpg").write_bytes(b"\xff\xd8 truncated")
    expected = {"empty": "no images", "missing": "is not a folder", "corrupt": "cannot read paired image"}[content]
    assert expected in one_line_error(run_script("pix2pix", *DOCS, "--data-dir", str(folder)))


@pytest.mark.parametrize(
    "script,names",
    [
        ("pix2pix", ("constant", "l1_error", "l1_share", "plain_error", "plain_share", "l1_curve", "plain_curve", "curve_steps", "patch")),
        ("cyclegan", ("judge_a", "judge_b", "digit_accuracy", *(f"{run}_{key}" for run in ("cycle", "plain") for key in ("cycle_a", "cycle_b", "error_ab", "error_ba", "as_b", "as_a", "recognised_ba", "other_digit")))),
    ],
    ids=["pix2pix", "cyclegan"],
)
def test_translation_scripts_record_what_lesson_12_1_8_quotes(site, script, names):
    """The values lesson 12.1.8's roles and quality gates read are recorded in the
    build, for both runs, and each shows as the script printed it."""
    import json

    records = json.loads((site.results / f"{script}.json").read_text(encoding="utf-8"))
    assert set(names) <= set(records), sorted(set(names) - set(records))
    stdout = "\n".join(printed_lines(site.html, script))
    shown = [records[name]["text"] for name in names if not isinstance(records[name]["value"], list)]
    assert all(text in stdout for text in shown), [t for t in shown if t not in stdout]
