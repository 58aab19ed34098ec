"""Lesson 12.1.8 (Image-to-Image Translation) says only what its scripts and modules do.

* Every number the lesson reports from a run is a verbatim quote of what the docs
  presets of ``pix2pix.py`` and ``cyclegan.py`` print.  :data:`PROSE_CLAIMS` lists each
  quote; the slow test runs each script once (shared through ``script_run``) and checks
  that every quote is both in the lesson and in the output.  Two more slow tests check
  the quality gates and the lesson's conclusions on the parsed output: pix2pix's
  held-out L1 error is well below the best constant output's, and the GAN-only run's
  is worse than both; CycleGAN's round trips are accurate, the domain classifier calls
  at least 90% of the translations the target domain, and at least 80% of the B -> A
  translations are still recognised as their digit; without the cycle term the digits
  survive as well and the translations are closer to the correct answers, and only
  the round trips get worse.
* The fast tests need no training: quotes, numbers and settings in the prose (each
  checked against the scripts' constants or the modules' defaults), what the prose
  derives from the quotes, the U-Net's receptive window, expected outputs, figures
  drawn by the scripts with docs-preset captions, downloads and example links, flags,
  literalincludes, references and the course format.
"""

from __future__ import annotations

import inspect
import re
from types import SimpleNamespace

import pytest
import torch

from conftest import ROOT
from lesson_checks import (
    block,
    check_course_format,
    check_decimals_are_checked,
    check_downloads_and_example_links,
    check_expected_outputs_are_quotes,
    check_figure_is_drawn,
    check_flags_exist,
    check_literalincludes,
    check_prose_number,
    check_quote_is_in_lesson,
    check_quote_is_printed,
    check_references,
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
OWN_REFERENCES = ("Isola2017", "Zhu2017", "Ronneberger2015", "Li2016", "Shrivastava2017", "Chu2017", "Liu2017")
CITED_FROM_ELSEWHERE = ("Mao2017", "Mirza2014")

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
QUOTES = [quoted for _, _, quoted in PROSE_CLAIMS]

# Numbers the prose states from a run: (text in the lesson, printed text it restates).
PROSE_NUMBERS = [
    ("whose error is 0.1682", PIX2PIX[2]),
    ("the digit classifier is 97.8% accurate", CYCLEGAN[2]),
    ("round trips come back with an error of 0.061, against 0.404 for another digit", CYCLE_RUN),
    ("calls 100.0% of its A -> B translations B and 99.4% of its B -> A translations A", CYCLE_RUN),
    ("and 97.2% of its B -> A translations are recognised as the digit they started from", CYCLE_RUN),
    ("yet it does: 97.5% of its B -> A translations are recognised", PLAIN_RUN),
    ("0.092 against 0.134 for A -> B, and 0.079 against 0.171 for B -> A", CYCLE_RUN + "\n" + PLAIN_RUN),
    ("0.102 against 0.061 and 0.093 against 0.055", CYCLE_RUN + "\n" + PLAIN_RUN),
]

# Decimal numbers of the prose that are settings, each checked against the code below.
SETTINGS_IN_PROSE = {
    "0.5": "the identity weight, a fraction of the cycle weight (IDENTITY_WEIGHT), and pix2pix's dropout rate",
    "0.0": "l1_weight=0.0, the first line of the Quick Start's literalinclude",
}

FIGURES = {
    ("pix2pix", "l1_effect"),
    ("pix2pix", "pairs"),
    ("pix2pix", "held_out_error"),
    ("pix2pix", "outputs_over_training"),
    ("cyclegan", "domains"),
    ("cyclegan", "round_trips"),
    ("cyclegan", "without_cycle"),
}


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


def prose() -> str:
    """The lesson before its references."""
    return lesson_text().split("\nReferences\n==========")[0]


NUMBER = r"\d+(?:\.\d+)?"


def parse_pix2pix(stdout: str) -> SimpleNamespace:
    constant = float(re.search(rf"^\s*best constant output: held-out L1 ({NUMBER})$", stdout, re.M)[1])
    runs = {m[0]: float(m[2]) for m in re.findall(rf"^\s*(L1 \+ GAN|GAN only) \(L1 weight (\d+)\): held-out L1 ({NUMBER})", stdout, re.M)}
    return SimpleNamespace(constant=constant, l1=runs["L1 + GAN"], plain=runs["GAN only"])


def parse_cyclegan(stdout: str) -> dict[str, dict[str, float]]:
    pattern = (
        rf"^\s*(cycle|GAN only): cycle error A->B->A ({NUMBER}), B->A->B ({NUMBER}) \(another digit: ({NUMBER})\); "
        rf"A->B judged B ({NUMBER})%, B->A judged A ({NUMBER})%; B->A recognised as its digit ({NUMBER})%; "
        rf"error to the correct answer A->B ({NUMBER}), B->A ({NUMBER})$"
    )
    keys = ("cycle_a", "cycle_b", "other", "as_b", "as_a", "recognised", "error_ab", "error_ba")
    return {m[0]: dict(zip(keys, map(float, m[1:]))) for m in re.findall(pattern, stdout, re.M)}


def digit_accuracy(stdout: str) -> float:
    return float(re.search(rf"^\s*digit classifier: ({NUMBER})% accurate", stdout, re.M)[1])


def check_pix2pix_conclusions(out: SimpleNamespace) -> None:
    """The quality gate and what the Quick Start concludes."""
    assert out.l1 < 0.65 * out.constant  # the gate: well below the best constant output
    assert out.plain > out.constant and out.plain > out.l1  # "worse than the constant"


def check_cyclegan_conclusions(runs: dict[str, dict[str, float]], accuracy: float) -> None:
    """The quality gates on the run with the cycle loss, and what Concepts 5 and 6
    conclude from the two runs."""
    assert set(runs) == {"cycle", "GAN only"}
    cycle, plain = runs["cycle"], runs["GAN only"]
    # the gates
    assert max(cycle["cycle_a"], cycle["cycle_b"]) < 0.25 * cycle["other"]
    assert cycle["as_b"] >= 90 and cycle["as_a"] >= 90
    assert cycle["recognised"] >= 80
    # "about as many as real digits are"
    assert accuracy - cycle["recognised"] < 2
    # Concept 6: without the cycle term the digits survive too ...
    assert plain["recognised"] >= 80 and plain["as_b"] >= 90 and plain["as_a"] >= 90
    # ... the translations are closer to the correct answers, in both directions ...
    assert plain["error_ab"] < cycle["error_ab"] and plain["error_ba"] < cycle["error_ba"]
    # ... and only the round trips are worse
    assert plain["cycle_a"] > cycle["cycle_a"] and plain["cycle_b"] > cycle["cycle_b"]


# --------------------------------------------------------------------------------------
# Slow: the quotes are printed, the quality gates and conclusions hold
# --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_lesson_quotes_what_the_script_prints(script_run, script, args, quoted):
    check_quote_is_printed(script_run, LESSON, script, args, quoted)


@pytest.mark.slow
def test_pix2pix_quality_gate_and_conclusions(script_run):
    run = script_run("pix2pix", *DOCS)
    assert run.returncode == 0, run.stderr
    check_pix2pix_conclusions(parse_pix2pix(run.stdout))


@pytest.mark.slow
def test_cyclegan_quality_gates_and_conclusions(script_run):
    run = script_run("cyclegan", *DOCS)
    assert run.returncode == 0, run.stderr
    check_cyclegan_conclusions(parse_cyclegan(run.stdout), digit_accuracy(run.stdout))


# --------------------------------------------------------------------------------------
# Fast: the lesson side
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_claims_are_quoted_in_the_lesson(script, args, quoted):
    check_quote_is_in_lesson(LESSON, script, quoted)


@pytest.mark.parametrize("said,printed", PROSE_NUMBERS)
def test_numbers_in_the_prose_restate_quoted_lines(said, printed):
    check_prose_number(LESSON, said, printed, QUOTES)


def test_every_decimal_number_of_the_prose_is_checked():
    check_decimals_are_checked(LESSON, QUOTES, SETTINGS_IN_PROSE)


def test_every_percentage_of_the_prose_is_printed():
    """Percentages, whole or not, are quotes too (50% and 168% of the constant's error,
    the classifiers' shares)."""
    printed = set(re.findall(rf"(?<![\d.]){NUMBER}%", " ".join(QUOTES)))
    text = "\n".join(line for line in prose().splitlines() if not line.strip().startswith(":width:"))
    said = set(re.findall(rf"(?<![\d.]){NUMBER}%", text))
    assert said, "the lesson states no percentage"
    assert said <= printed, f"{sorted(said - printed)} are not in a checked quote"


def test_what_the_prose_concludes_holds_for_the_quoted_numbers():
    """The conclusions of the prose follow from the quoted lines (the slow tests check
    the same on a fresh run)."""
    text = " ".join(lesson_text().split())
    pix = parse_pix2pix("\n".join(PIX2PIX))
    check_pix2pix_conclusions(pix)
    assert round(pix.l1 / pix.constant, 2) == 0.5 and "brings the error down to 50% of that" in text
    assert "ends up *worse* than the constant, at 168% of its error" in text
    cyc = "\n".join(line.strip() for line in CYCLEGAN)
    check_cyclegan_conclusions(parse_cyclegan(cyc), digit_accuracy(cyc))
    assert "about as many as real digits are" in text
    assert "Its error to the correct answer is even *smaller* than the cycle run's" in text
    assert "Only its round-trip error is higher" in text
    assert "the domain classifier labels every held-out image of either domain correctly" in text
    assert "100.0% of held-out B and 100.0% of held-out A" in CYCLEGAN[1]


def test_expected_output_blocks_are_checked_claims():
    check_expected_outputs_are_quotes(LESSON, QUOTES, exactly=2)


def test_quick_start_shows_pix2pix_and_its_whole_output():
    """The site test compares the Quick Start's expected output with the executed
    script's, up to its first blank line."""
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    first = re.search(r"literalinclude:: /gallery/12_1_8_image_translation/(\w+)\.py", quick)
    assert first and first.group(1) == "pix2pix"
    assert "**Expected output** (``python pix2pix.py --preset docs``" in quick
    found = expected_output_blocks(quick)
    assert len(found) == 1 and normalised(found[0]) == normalised(block(*PIX2PIX))


def test_lesson_states_the_presets_and_settings_the_code_has():
    from modules import translation_recipes
    from modules.losses import L1Reconstruction
    from modules.training import CycleGANTrainer
    from modules.translation_data import IMAGE_SIZES
    from modules.translation_models import ImageHistory, PatchDiscriminator, UNetGenerator, receptive_field

    pix, cyc = constants("pix2pix"), constants("cyclegan")
    assert pix["DOCS_PRESET"] == {"image_size": 32, "scenes": 2000, "width": 16, "d_width": 16, "d_layers": 2, "batch_size": 8, "lr": 1e-3, "steps": 1000}
    assert (pix["IMAGE_SIZE"], pix["SCENES"], pix["WIDTH"], pix["D_WIDTH"], pix["D_LAYERS"]) == (64, 6000, 64, 64, 3)
    assert (pix["BATCH_SIZE"], pix["LEARNING_RATE"], pix["STEPS"], pix["L1_WEIGHT"]) == (16, 2e-4, 20000, 100.0)
    assert cyc["DOCS_PRESET"] == {"image_size": 32, "width": 16, "depth": 2, "d_width": 16, "d_layers": 2, "lr": 5e-4, "steps": 600}
    assert (cyc["IMAGE_SIZE"], cyc["STEPS"], cyc["BATCH_SIZE"], cyc["CYCLE_WEIGHT"], cyc["IDENTITY_WEIGHT"], cyc["HISTORY"]) == (64, 10000, 8, 10.0, 0.5, 50)
    assert IMAGE_SIZES == (16, 32, 64, 128, 256)
    assert [receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]
    assert translation_recipes.Pix2PixRecipe.test_fraction == 0.2  # "holds a fifth of them out"
    assert inspect.signature(L1Reconstruction).parameters["weight"].default == 100.0
    params = inspect.signature(CycleGANTrainer).parameters
    assert (params["cycle_weight"].default, params["identity_weight"].default, params["history"].default) == (10.0, 0.5, 50)
    assert inspect.signature(ImageHistory).parameters["capacity"].default == 50
    # pix2pix: the non-saturating loss; CycleGAN: least squares by default
    assert "loss=NonSaturatingLoss()" in inspect.getsource(translation_recipes.build_pix2pix)
    assert "LeastSquaresLoss()" in inspect.getsource(CycleGANTrainer.__init__)
    # dropout 0.5 on the innermost three decoder layers of pix2pix's U-Net; BatchNorm in
    # both networks of both methods
    assert inspect.signature(UNetGenerator).parameters["dropout"].default == 0.5
    unet = UNetGenerator(1, 3, 32)
    with_dropout = [j for j, layer in enumerate(unet.up) if any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in layer)]
    assert with_dropout == [0, 1, 2]
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in unet.modules())
    assert inspect.signature(PatchDiscriminator).parameters["norm"].default == "batch"
    assert "PatchDiscriminator(channels, recipe.d_width, recipe.d_layers)" in inspect.getsource(translation_recipes.build_cyclegan)
    assert "UNetGenerator(channels, channels" in inspect.getsource(translation_recipes.build_cyclegan)
    text = one_line(lesson_text())
    for said in (
        "makes 2,000 outline/rendering pairs, holds a fifth of them out",
        "the docs preset trains on 2,000 scenes at 32x32 with 16 channels in the u-net and the patchgan, two stride-2 patchgan layers, batches of 8 and a learning rate of 1e-3, for 1,000 steps per run",
        "the full preset uses 6,000 scenes at 64x64, 64 channels, the paper's three patchgan layers, batches of 16, the paper's learning rate of 2e-4 and 20,000 steps",
        "the docs preset trains each run for 600 steps on batches of 8 digits per domain at 32x32, with u-nets of depth 2 and 16 channels, patchgans with two stride-2 layers and a learning rate of 5e-4",
        "full preset: 64x64 digits, 10,000 steps",
        "full preset: 64x64 scenes, 20,000 steps",
        "the docs preset, which built this page, runs at 32x32 on a cpu; the full preset is the same data at 64x64",
        "docs preset: 32x32, 1,000 steps per run",
        "docs preset: 32x32, 600 steps per run",
        "with :math:`\\lambda` = 100 in the paper (``--l1-weight``, l1_weight in the script)",
        "with :math:`\\lambda` = 10 (``--cycle-weight``) and :math:`\\lambda_{id}` = 0.5",
        "dropout (rate 0.5) in the innermost three decoder layers",
        "a buffer of the last 50 translations (``--history``)",
        "with 1, 2, 3 or 4 stride-2 layers a logit sees 16, 34, 70 or 142 pixels",
        "the paper's 70x70 patchgan has three (``--d-layers 3``)",
        "``--image-size`` accepts 16 to 256",
        "the docs preset's u-net has ``--depth 2``",
        "the course reuses pix2pix's u-net and batchnorm for both methods",
    ):
        assert said in text, said


def test_the_docs_unet_sees_a_small_window_and_the_deep_one_the_whole_image():
    """Concept 6: with ``--depth 2`` (the docs preset) every output pixel of the 32x32
    U-Net depends on at most an 18x18 window of the input; with ``--depth 5`` on the
    whole image.  Measured with gradients, in eval mode (in train mode BatchNorm's
    batch statistics would connect every pixel with every other)."""
    from modules.translation_models import UNetGenerator

    def windows(depth: int) -> list[tuple[int, int]]:
        torch.manual_seed(0)
        g = UNetGenerator(3, 3, 32, 16, depth=depth, dropout=0.0).eval()
        found = []
        for row in range(12, 16):  # every position modulo the 4 of two stride-2 levels
            for col in range(12, 16):
                reached = torch.zeros(32, 32, dtype=torch.bool)
                for seed in range(3):
                    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(seed), requires_grad=True)
                    g(x)[0, :, row, col].sum().backward()
                    reached |= x.grad.abs().sum(dim=(0, 1)) > 0
                rows, cols = reached.nonzero(as_tuple=True)
                found.append((int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)))
        return found

    assert constants("cyclegan")["DOCS_PRESET"]["depth"] == 2
    shallow = windows(2)
    assert max(max(w) for w in shallow) == 18
    assert all(w == (32, 32) for w in windows(5))
    text = one_line(lesson_text())
    assert "every output pixel depends on a window of at most 18x18 input pixels" in text
    assert "with ``--depth 5`` the bottleneck is 1x1 and every output pixel can depend on the whole image" in text


def test_figure_descriptions_match_the_data():
    """The round-trip figure's alt text names the held-out digits it shows (the first
    six of ``test_a``), and the pairs are coloured by kind as the prose says."""
    from modules.translation_data import SHAPE_COLOURS, digit_styles

    labels = digit_styles(32).test_a.tensors()[1][:6].tolist()
    assert labels == [6, 5, 5, 7, 9, 9]
    assert "each row keeps its digit, 6, 5, 5, 7, 9 and 9" in one_line(lesson_text())
    red, green, blue = (max(range(3), key=SHAPE_COLOURS[kind].__getitem__) for kind in ("circle", "square", "triangle"))
    assert (red, green, blue) == (0, 1, 2)
    assert "circles are red, squares green, triangles blue" in one_line(lesson_text())


def test_every_figure_shown_is_drawn_by_its_script():
    refs = shown_figures(lesson_text())
    assert {(script, label) for _, script, label in refs} == FIGURES
    assert len(refs) == len(FIGURES)
    for folder, script, label in refs:
        caption = check_figure_is_drawn(LESSON, folder, script, label, own_folder=LESSON.stem)
        assert f"python {script}.py --preset docs" in caption


def test_downloads_and_example_links_point_at_gallery_scripts():
    check_downloads_and_example_links(LESSON, own=["cyclegan", "pix2pix"])


def test_every_flag_the_lesson_mentions_exists():
    check_flags_exist(
        LESSON,
        must_mention=(
            "--preset", "--l1-weight", "--d-layers", "--cycle-weight", "--identity-weight", "--history", "--depth",
            "--image-size", "--data-dir", "--direction", "--seed",
        ),
    )


def test_literalincludes_find_what_they_include():
    includes = check_literalincludes(LESSON, at_least=11)
    targets = {target for target, _ in includes}
    assert {
        "/gallery/12_1_8_image_translation/pix2pix.py", "/modules/training.py", "/modules/losses.py",
        "/modules/translation_models.py", "/modules/translation_data.py", "/modules/translation_recipes.py",
    } <= targets
    objects = {re.search(r":pyobject:\s*(\S+)", options)[1] for _, options in includes if ":pyobject:" in options}
    assert {
        "L1Reconstruction.g_penalty", "UNetGenerator.forward", "PatchDiscriminator.forward", "receptive_field",
        "CycleGANTrainer.g_step", "CycleGANTrainer.d_step", "ImageHistory.query", "best_constant_l1",
    } <= objects


def test_references_defined_here_are_defined_nowhere_else():
    check_references(LESSON, OWN_REFERENCES, CITED_FROM_ELSEWHERE)


def test_lesson_has_the_course_format():
    check_course_format(LESSON, "module-12-1-8-image-translation", "50-55 minutes", "Advanced", dropdowns=5)
