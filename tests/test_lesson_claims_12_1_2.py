"""Lessons 12.1.2 (DCGAN) and 12.1.3 (conditional GANs) say only what their scripts do.

* Every number these lessons report from a run is a verbatim quote of what the docs
  preset prints.  :data:`PROSE_CLAIMS` lists each quote with the run that prints it; the
  slow test runs each script once (shared through ``script_run``) and checks that the
  quote is both in the lesson and in the script's output.
* The fast tests need no training: every quote is still in its lesson, every
  expected-output block is one of the checked quotes, the presets the captions name are
  the scripts' presets, every figure and animation a lesson shows is one its script
  draws, every download and example link points at a gallery script, and every flag a
  lesson mentions exists.
"""

from __future__ import annotations

import pytest

from conftest import ROOT, script_path
from lesson_checks import (
    block,
    check_downloads_and_example_links,
    check_expected_outputs_are_quotes,
    check_figure_is_drawn,
    check_flags_exist,
    check_quote_is_in_lesson,
    check_quote_is_printed,
    claim_id,
    one_line,
    read,
    shown_figures,
)

DCGAN = ROOT / "docs" / "12_1_2_dcgan.rst"
CGAN = ROOT / "docs" / "12_1_3_conditional_gans.rst"
LESSONS = (DCGAN, CGAN)
DOCS = ("--preset", "docs")


PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run, lesson)
    # -- 12.1.2, Quick Start: the shape table
    (
        "dcgan_train",
        DOCS,
        block(
            "DCGANGenerator: 143,840 parameters",
            "  net.0    ConvTranspose2d  -> (64, 4, 4)",
            "  net.3    ConvTranspose2d  -> (32, 8, 8)",
            "  net.6    ConvTranspose2d  -> (16, 16, 16)",
            "  net.9    ConvTranspose2d  -> (1, 32, 32)",
            "  net.10   Tanh             -> (1, 32, 32)",
            "DCGANDiscriminator: 42,432 parameters",
            "  net.0    Conv2d           -> (16, 16, 16)",
            "  net.2    Conv2d           -> (32, 8, 8)",
            "  net.5    Conv2d           -> (64, 4, 4)",
            "  net.8    Conv2d           -> (1, 1, 1)",
        ),
        DCGAN,
    ),
    # -- 12.1.2, Exercise 1: training
    ("dcgan_train", DOCS, "data=digits: 1797 images, 32x32", DCGAN),
    (
        "dcgan_train",
        DOCS,
        block(
            "step   200: D(x)=0.99 D(G(z))=0.01 D loss=0.015 G loss=4.920",
            "step   400: D(x)=1.00 D(G(z))=0.00 D loss=0.005 G loss=6.186",
            "step   600: D(x)=0.83 D(G(z))=0.04 D loss=0.238 G loss=1.907",
            "step   800: D(x)=0.97 D(G(z))=0.43 D loss=0.607 G loss=3.857",
            "step  1000: D(x)=0.72 D(G(z))=0.04 D loss=0.401 G loss=1.758",
        ),
        DCGAN,
    ),
    ("dcgan_train", DOCS, "D(x)=0.99 D(G(z))=0.01", DCGAN),
    ("dcgan_train", DOCS, "D(x)=1.00 D(G(z))=0.00", DCGAN),
    ("dcgan_train", DOCS, "G loss=6.186", DCGAN),
    ("dcgan_train", DOCS, "D loss=0.238 G loss=1.907", DCGAN),
    ("dcgan_train", DOCS, "D(x)=0.97 D(G(z))=0.43", DCGAN),
    ("dcgan_train", DOCS, "D(x)=0.72 D(G(z))=0.04", DCGAN),
    ("dcgan_train", DOCS, "digit classifier: 97.8% accurate on held-out real images", DCGAN),
    (
        "dcgan_train",
        DOCS,
        "generated classes: 0=9.2% 1=4.1% 2=6.2% 3=14.4% 4=13.1% 5=9.4% 6=4.5% 7=9.2% 8=15.9% 9=14.0%",
        DCGAN,
    ),
    ("dcgan_train", DOCS, "classes with at least 3% of 1000 samples: 10 of 10", DCGAN),
    ("dcgan_train", DOCS, "8=15.9%", DCGAN),
    ("dcgan_train", DOCS, "3=14.4%", DCGAN),
    ("dcgan_train", DOCS, "1=4.1%", DCGAN),
    ("dcgan_train", DOCS, "6=4.5%", DCGAN),
    # -- 12.1.2, Exercise 3: the latent space
    ("dcgan_latent", DOCS, "generator: the docs preset of dcgan_train.py, trained 1000 steps on digits at 32x32", DCGAN),
    ("dcgan_latent", DOCS, "length of the straight line's midpoint relative to its ends: 68%", DCGAN),
    ("dcgan_latent", DOCS, "32 frames of 8 walkers", DCGAN),
    ("dcgan_latent", DOCS, "median distance to the nearest training image: generated 9.13, training images 5.76", DCGAN),
    # -- 12.1.2, Exercise 4: checkerboard artefacts
    (
        "dcgan_upsampling",
        DOCS,
        block(
            "preset=docs data=digits 32x32: transposed 1000 steps, resize 250 steps",
            "untrained transposed: checkerboard strength 0.113",
            "untrained resize    : checkerboard strength 0.002",
            "transposed, step 250  : checkerboard strength 0.047",
            "resize, step 250      : checkerboard strength 0.000",
            "transposed, step 1000 : checkerboard strength 0.000",
            "real                  : checkerboard strength 0.000",
        ),
        DCGAN,
    ),
    ("dcgan_upsampling", DOCS, "untrained transposed: checkerboard strength 0.113", DCGAN),
    ("dcgan_upsampling", DOCS, "untrained resize    : checkerboard strength 0.002", DCGAN),
    ("dcgan_upsampling", DOCS, "transposed, step 250  : checkerboard strength 0.047", DCGAN),
    ("dcgan_upsampling", DOCS, "resize, step 250      : checkerboard strength 0.000", DCGAN),
    ("dcgan_upsampling", DOCS, "transposed, step 1000 : checkerboard strength 0.000", DCGAN),
    # -- 12.1.3, Quick Start and Exercise 1
    (
        "conditional_gan",
        DOCS,
        block(
            "digit classifier: 97.8% accurate on held-out real images",
            "recognised per class: 0=98% 1=69% 2=97% 3=99% 4=100% 5=99% 6=99% 7=97% 8=91% 9=99%",
            "samples recognised as the digit asked for: 94.8% of 1000",
        ),
        CGAN,
    ),
    ("conditional_gan", DOCS, "data=digits: 1797 images in 10 classes", CGAN),
    ("conditional_gan", DOCS, "samples recognised as the digit asked for: 94.8% of 1000", CGAN),
    (
        "conditional_gan",
        DOCS,
        "recognised per class: 0=98% 1=69% 2=97% 3=99% 4=100% 5=99% 6=99% 7=97% 8=91% 9=99%",
        CGAN,
    ),
    ("conditional_gan", DOCS, "1=69%", CGAN),
    ("conditional_gan", DOCS, "8=91%", CGAN),
    ("conditional_gan", DOCS, "97.8% accurate on held-out real images", CGAN),
    ("conditional_gan", DOCS, "step   500: D(x|y)=0.58 D(G(z|y)|y)=0.44 G loss=1.038", CGAN),
    # -- 12.1.3, Exercise 4: the unconditional DCGAN's class shares, for comparison
    (
        "dcgan_train",
        DOCS,
        "generated classes: 0=9.2% 1=4.1% 2=6.2% 3=14.4% 4=13.1% 5=9.4% 6=4.5% 7=9.2% 8=15.9% 9=14.0%",
        CGAN,
    ),
    ("dcgan_train", DOCS, "1=4.1%", CGAN),
]


# --------------------------------------------------------------------------------------
# The slow check: the quotes are what the scripts print
# --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("script,args,quoted,lesson", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_lesson_quotes_what_the_script_prints(script_run, script, args, quoted, lesson):
    check_quote_is_printed(script_run, lesson, script, args, quoted)


# --------------------------------------------------------------------------------------
# Fast checks of the lesson side
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("script,args,quoted,lesson", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_claims_are_quoted_in_their_lessons(script, args, quoted, lesson):
    check_quote_is_in_lesson(lesson, script, quoted)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_expected_output_blocks_are_checked_claims(lesson):
    """Every expected-output block of the lesson is, in full, one of the checked quotes."""
    check_expected_outputs_are_quotes(lesson, [quoted for _, _, quoted, where in PROSE_CLAIMS if where == lesson])


def test_lessons_state_the_docs_presets_they_show():
    """The captions name the docs presets the scripts really have."""
    train = script_path("dcgan_train").read_text(encoding="utf-8")
    upsampling = script_path("dcgan_upsampling").read_text(encoding="utf-8")
    conditional = script_path("conditional_gan").read_text(encoding="utf-8")
    assert 'DOCS_PRESET = {"dataset": "digits", "image_size": 32, "width": 16, "batch_size": 64, "steps": 1000, "ema_decay": 0.99}' in train
    assert 'DOCS_PRESET = {"steps": 250}' in upsampling
    assert 'DOCS_PRESET = {"dataset": "digits", "image_size": 32, "width": 16, "batch_size": 64, "steps": 500, "ema_decay": 0.99}' in conditional
    dcgan, cgan = one_line(DCGAN.read_text(encoding="utf-8")), one_line(CGAN.read_text(encoding="utf-8"))
    assert "docs preset: scikit-learn digits, 32x32, 1,000 steps" in dcgan
    assert "moving-average decay 0.99" in dcgan
    assert "transposed generator 1,000 steps, resize generator 250 steps" in dcgan
    assert "docs preset: scikit-learn digits, 32x32, 500 steps" in cgan


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_figure_shown_is_drawn_by_its_script(lesson):
    refs = shown_figures(read(lesson), animations=True)
    assert len(refs) >= 2
    for folder, script, label in refs:
        # the caption names the docs preset, but for the animation, which sits between
        # paragraphs that say where it comes from
        check_figure_is_drawn(lesson, folder, script, label, caption=label != "latent_walk")


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_downloads_and_example_links_point_at_gallery_scripts(lesson):
    check_downloads_and_example_links(lesson)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_flag_the_lesson_mentions_exists(lesson):
    check_flags_exist(lesson)
