"""Lesson 12.1.8 (Image-to-Image Translation) says only what its scripts and modules do.

* Every number the lesson reports from a run is a verbatim quote of what the docs
  presets of ``pix2pix.py`` and ``cyclegan.py`` print.  :data:`PROSE_CLAIMS` lists each
  quote; the slow test runs each script once (shared through ``script_run``) and checks
  that every quote is both in the lesson and in the output.  A second slow test checks
  the issue's quality gates and the lesson's conclusions on the parsed output: pix2pix's
  held-out L1 error is well below the best constant output's (and the GAN-only run's is
  not); CycleGAN's round trips are accurate, the domain classifier calls at least 90% of
  the translations the target domain, and at least 80% of the B -> A translations are
  still recognised as their digit; without the cycle term the digits survive as well,
  and only the round trips get worse.
* The fast tests need no training: quotes, numbers and settings in the prose, expected
  outputs, figures drawn by the scripts with docs-preset captions, downloads and example
  links, flags, literalincludes, references and the course format.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from conftest import ROOT
from lesson_checks import (
    check_course_format,
    check_decimals_are_checked,
    check_prose_number,
    check_references,
    block,
    check_downloads_and_example_links,
    check_expected_outputs_are_quotes,
    check_figure_is_drawn,
    check_flags_exist,
    check_literalincludes,
    check_quote_is_in_lesson,
    check_quote_is_printed,
    claim_id,
    constants,
    expected_output_blocks,
    normalised,
    one_line,
    section,
    shown_figures,
)

LESSON = ROOT / "docs" / "12_1_8_image_translation.rst"
DOCS = ("--preset", "docs")
OWN_REFERENCES = ("Isola2017", "Zhu2017", "Ronneberger2015", "Li2016", "Shrivastava2017", "Chu2017")
CITED_FROM_ELSEWHERE = ("Mao2017",)

PIX2PIX = (
    "preset=docs device=cpu: 1600 training pairs, 400 held out, 32x32",
    "PatchGAN: 2 stride-2 layers, each logit sees a 34x34 patch",
    "best constant output: held-out L1 0.1682",
    "L1 + GAN (L1 weight 100): held-out L1 0.0841 (50% of the constant's)",
    "GAN only (L1 weight 0): held-out L1 0.2833 (168% of the constant's)",
)
CYCLE_RUN = (
    "   cycle: cycle error A->B->A 0.061, B->A->B 0.055 (another digit: 0.404); A->B judged B 100.0%, B->A judged A 99.4%; "
    "B->A recognised as its digit 97.2%; error to the correct answer A->B 0.134, B->A 0.171"
)
PLAIN_RUN = (
    "GAN only: cycle error A->B->A 0.102, B->A->B 0.093 (another digit: 0.404); A->B judged B 100.0%, B->A judged A 100.0%; "
    "B->A recognised as its digit 97.5%; error to the correct answer A->B 0.092, B->A 0.079"
)
CYCLEGAN = (
    "preset=docs device=cpu: domain A 719 digits, domain B 719 other digits (inverted-thick-blue), 359 held out, 32x32",
    "domain classifier: 100.0% of held-out B and 100.0% of held-out A judged right",
    "digit classifier: 97.8% accurate on held-out real digits",
    CYCLE_RUN,  # printed with its name right-aligned
    PLAIN_RUN,
)

PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run)
    ("pix2pix", DOCS, block(*PIX2PIX)),  # Quick Start
    ("pix2pix", DOCS, "each logit sees a 34x34 patch"),  # Concept 3
    ("cyclegan", DOCS, block(*CYCLEGAN)),  # Concept 5
]

# Numbers the prose states from a run: (text in the lesson, printed text it restates).
PROSE_NUMBERS = [
    ("whose error is 0.1682", PIX2PIX[2]),
    ("round trips come back with an error of 0.061, against 0.404 for another digit", CYCLE_RUN),
    ("97.2% of its B -> A translations are recognised", CYCLE_RUN),
    ("97.5% of its B -> A translations are recognised", PLAIN_RUN),
    ("0.092 against 0.134 for A -> B", CYCLE_RUN + "\n" + PLAIN_RUN),
    ("0.102 against 0.061", CYCLE_RUN + "\n" + PLAIN_RUN),
]

# Decimal numbers of the prose that are settings, each checked against the code below.
SETTINGS_IN_PROSE = {
    "0.5": "the identity weight, a fraction of the cycle weight (IDENTITY_WEIGHT)",
    "0.0": "l1_weight=0.0, the first line of the Quick Start's literalinclude",
}


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# Slow: the quotes are printed, the quality gates and conclusions hold
# --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_lesson_quotes_what_the_script_prints(script_run, script, args, quoted):
    check_quote_is_printed(script_run, LESSON, script, args, quoted)


NUMBER = r"\d+(?:\.\d+)?"


def parse_pix2pix(stdout: str) -> SimpleNamespace:
    constant = float(re.search(rf"^best constant output: held-out L1 ({NUMBER})$", stdout, re.M)[1])
    runs = {m[0]: float(m[2]) for m in re.findall(rf"^(L1 \+ GAN|GAN only) \(L1 weight (\d+)\): held-out L1 ({NUMBER})", stdout, re.M)}
    return SimpleNamespace(constant=constant, l1=runs["L1 + GAN"], plain=runs["GAN only"])


def parse_cyclegan(stdout: str) -> dict[str, dict[str, float]]:
    pattern = (
        rf"^\s*(cycle|GAN only): cycle error A->B->A ({NUMBER}), B->A->B ({NUMBER}) \(another digit: ({NUMBER})\); "
        rf"A->B judged B ({NUMBER})%, B->A judged A ({NUMBER})%; B->A recognised as its digit ({NUMBER})%; "
        rf"error to the correct answer A->B ({NUMBER}), B->A ({NUMBER})$"
    )
    keys = ("cycle_a", "cycle_b", "other", "as_b", "as_a", "recognised", "error_ab", "error_ba")
    return {m[0]: dict(zip(keys, map(float, m[1:]))) for m in re.findall(pattern, stdout, re.M)}


@pytest.mark.slow
def test_pix2pix_quality_gate(script_run):
    run = script_run("pix2pix", *DOCS)
    assert run.returncode == 0, run.stderr
    out = parse_pix2pix(run.stdout)
    assert out.l1 < 0.65 * out.constant  # well below the best constant output
    assert out.plain > out.l1 and out.plain > out.constant  # "worse than the constant"


@pytest.mark.slow
def test_cyclegan_quality_gates(script_run):
    run = script_run("cyclegan", *DOCS)
    assert run.returncode == 0, run.stderr
    runs = parse_cyclegan(run.stdout)
    assert set(runs) == {"cycle", "GAN only"}
    cycle, plain = runs["cycle"], runs["GAN only"]
    # the gates, on the run with the cycle loss
    assert max(cycle["cycle_a"], cycle["cycle_b"]) < 0.25 * cycle["other"]
    assert cycle["as_b"] >= 90 and cycle["as_a"] >= 90
    assert cycle["recognised"] >= 80
    # Concept 6: without the cycle term the digits survive too, the round trips do not
    assert plain["recognised"] >= 80 and plain["error_ab"] < cycle["error_ab"]
    assert plain["cycle_a"] > cycle["cycle_a"] and plain["cycle_b"] > cycle["cycle_b"]


# --------------------------------------------------------------------------------------
# Fast: the lesson side
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_claims_are_quoted_in_the_lesson(script, args, quoted):
    check_quote_is_in_lesson(LESSON, script, quoted)


@pytest.mark.parametrize("said,printed", PROSE_NUMBERS)
def test_numbers_in_the_prose_restate_quoted_lines(said, printed):
    check_prose_number(LESSON, said, printed, [quoted for _, _, quoted in PROSE_CLAIMS])


def test_every_decimal_number_of_the_prose_is_checked():
    check_decimals_are_checked(LESSON, [quoted for _, _, quoted in PROSE_CLAIMS], SETTINGS_IN_PROSE)


def test_expected_output_blocks_are_checked_claims():
    check_expected_outputs_are_quotes(LESSON, [q for _, _, q in PROSE_CLAIMS], exactly=2)


def test_quick_start_shows_pix2pix_and_its_whole_output():
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    assert re.search(r"literalinclude:: /gallery/12_1_8_image_translation/pix2pix\.py", quick)
    assert "**Expected output** (``python pix2pix.py --preset docs``" in quick
    assert normalised(expected_output_blocks(quick)[0]) == normalised(block(*PIX2PIX))


def test_lesson_states_the_presets_and_settings_the_code_has():
    from modules.losses import L1Reconstruction
    from modules.training import CycleGANTrainer
    from modules.translation_models import ImageHistory, receptive_field

    pix, cyc = constants("pix2pix"), constants("cyclegan")
    assert pix["DOCS_PRESET"] == {"image_size": 32, "scenes": 2000, "width": 16, "d_width": 16, "d_layers": 2, "batch_size": 8, "lr": 1e-3, "steps": 1000}
    assert (pix["IMAGE_SIZE"], pix["SCENES"], pix["WIDTH"], pix["D_WIDTH"], pix["D_LAYERS"]) == (64, 6000, 64, 64, 3)
    assert (pix["BATCH_SIZE"], pix["LEARNING_RATE"], pix["STEPS"], pix["L1_WEIGHT"]) == (16, 2e-4, 20000, 100.0)
    assert cyc["DOCS_PRESET"] == {"image_size": 32, "width": 16, "depth": 2, "d_width": 16, "d_layers": 2, "lr": 5e-4, "steps": 600}
    assert (cyc["IMAGE_SIZE"], cyc["STEPS"], cyc["BATCH_SIZE"], cyc["CYCLE_WEIGHT"], cyc["IDENTITY_WEIGHT"], cyc["HISTORY"]) == (64, 10000, 8, 10.0, 0.5, 50)
    assert [receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]
    import inspect

    assert inspect.signature(L1Reconstruction).parameters["weight"].default == 100.0
    params = inspect.signature(CycleGANTrainer).parameters
    assert (params["cycle_weight"].default, params["identity_weight"].default, params["history"].default) == (10.0, 0.5, 50)
    assert inspect.signature(ImageHistory).parameters["capacity"].default == 50
    text = one_line(lesson_text())
    for said in (
        "makes 2,000 outline/rendering pairs, holds a fifth of them out",
        "the docs preset trains on 2,000 scenes at 32x32 with 16 channels in the u-net and the patchgan, two stride-2 patchgan layers, batches of 8 and a learning rate of 1e-3, for 1,000 steps per run",
        "the full preset uses 6,000 scenes at 64x64, 64 channels, the paper's three patchgan layers, batches of 16, the paper's learning rate of 2e-4 and 20,000 steps",
        "the docs preset trains each run for 600 steps on batches of 8 digits per domain at 32x32, with u-nets of depth 2 and 16 channels, patchgans with two stride-2 layers and a learning rate of 5e-4",
        "full preset: 64x64 digits, 10,000 steps",
        "full preset: 64x64 scenes, 20,000 steps",
        "with :math:`\\lambda` = 100 in the paper",
        "with :math:`\\lambda` = 10 (``--cycle-weight``) and :math:`\\lambda_{id}` = 0.5",
        "a buffer of the last 50 translations (``--history``)",
        "with 1, 2, 3 or 4 stride-2 layers a logit sees 16, 34, 70 or 142 pixels",
        "the docs preset's u-net has ``--depth 2``",
    ):
        assert said in text, said


def test_every_figure_shown_is_drawn_by_its_script():
    refs = shown_figures(lesson_text())
    assert {(s, label) for _, s, label in refs} == {
        ("pix2pix", "l1_effect"), ("pix2pix", "pairs"), ("pix2pix", "held_out_error"), ("pix2pix", "outputs_over_training"),
        ("cyclegan", "domains"), ("cyclegan", "round_trips"), ("cyclegan", "without_cycle"),
    }
    for folder, script, label in refs:
        caption = check_figure_is_drawn(LESSON, folder, script, label, own_folder=LESSON.stem)
        assert f"python {script}.py --preset docs" in caption


def test_downloads_and_example_links_point_at_gallery_scripts():
    check_downloads_and_example_links(LESSON, own=["cyclegan", "pix2pix"])


def test_every_flag_the_lesson_mentions_exists():
    check_flags_exist(
        LESSON,
        must_mention=("--l1-weight", "--d-layers", "--cycle-weight", "--identity-weight", "--history", "--depth", "--image-size", "--data-dir", "--direction"),
    )


def test_literalincludes_find_what_they_include():
    includes = check_literalincludes(LESSON, at_least=7)
    objects = {re.search(r":pyobject:\s*(\S+)", options)[1] for _, options in includes if ":pyobject:" in options}
    assert {"L1Reconstruction.g_penalty", "UNetGenerator.forward", "receptive_field", "CycleGANTrainer.g_step", "CycleGANTrainer.d_step"} <= objects


def test_references_defined_here_are_defined_nowhere_else():
    check_references(LESSON, OWN_REFERENCES, CITED_FROM_ELSEWHERE)


def test_lesson_has_the_course_format():
    check_course_format(LESSON, "module-12-1-8-image-translation", "50-55 minutes", "Advanced", dropdowns=4)