"""Lesson 12.1.9 (Style-Based Generators) says only what its script and its modules do.

* Every number the lesson reports from a run is a verbatim quote of what the docs
  preset of ``stylegan_lite.py`` prints.  :data:`PROSE_CLAIMS` lists each quote; the
  slow test runs the script once (shared through ``script_run``, in the session's fresh
  model cache, so it trains the generator) and checks that every quote is both in the
  lesson and in the output.  A second slow test checks the quality gates and what the
  prose concludes on the parsed output: mixing a latent with itself changes nothing,
  the spread falls strictly as psi goes from 1 to 0 and is 0 at psi = 0, the noise
  moves pixels far less than the latents do, and D keeps an edge without winning
  outright.
* The fast tests need no training: every quote is still in the lesson, every number
  of the prose is part of a checked quote (or a setting checked against the code),
  every expected-output block is a checked quote, the numbers the prose works out
  from printed ones or from the settings are right, the presets and settings the prose
  states are the script's and the modules', every figure shown is drawn by the script
  (with a caption naming the docs preset), the download and example links point at
  the gallery script, every flag mentioned exists (and ``--psi`` refuses values
  outside [0, 1]), every ``literalinclude`` finds what it includes, the hand edit of
  Exercise 5 shows a line that is really in the code, the snippet of Exercise 6 runs
  and prints what its answer says, and the references this lesson defines are defined
  nowhere else and cited here.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import re
from types import SimpleNamespace

import pytest

from conftest import ROOT, run_script, script_path
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
    directive_block,
    draws_label,
    expected_output_blocks,
    normalised,
    one_line,
    scripts_named,
    section,
    shown_figures,
)

LESSON = ROOT / "docs" / "12_1_9_style_based_generators.rst"
SCRIPT = "stylegan_lite"
DOCS = ("--preset", "docs")
OWN_REFERENCES = ("Huang2017", "Ulyanov2016", "Dumoulin2017", "Marchesi2017", "Karras2020", "Karras2021")
# cited here, defined with the references of other lessons
CITED_FROM_ELSEWHERE = ("Karras2019", "Karras2018", "Brock2019", "Pedregosa2011", "Alpaydin1998", "Mescheder2018")

SETUP = (
    "preset=docs device=cpu data=digits: 1797 images, 16x16",
    "styled layers (num_ws): 6, at resolutions [4, 4, 8, 8, 16, 16]",
)
STEPS = (
    "step   300: D(x)=0.70 D(G(z))=0.42 G loss=1.391",
    "step   600: D(x)=0.65 D(G(z))=0.28 G loss=1.338",
    "step   900: D(x)=0.54 D(G(z))=0.15 G loss=2.308",
    "step  1200: D(x)=0.64 D(G(z))=0.19 G loss=1.211",
    "step  1500: D(x)=0.65 D(G(z))=0.19 G loss=2.074",
)
MIXING = "mixing a latent with itself, every crossover: largest pixel difference to the unmixed image 0.0e+00"
SPREAD = "spread of 500 samples: psi=1: 0.264, psi=0.8: 0.241, psi=0.6: 0.208, psi=0.4: 0.161, psi=0.2: 0.093, psi=0: 0.000"
NOISE = "noise: mean pixel change 0.001, against a spread of 0.273 across latents"
STRENGTH = (
    "learned noise strength (mean |strength| per layer): "
    "4x4: 0.022, 4x4: 0.018, 8x8: 0.010, 8x8: 0.011, 16x16: 0.007, 16x16: 0.012"
)
OUTPUT = (*SETUP, *STEPS, MIXING, SPREAD, NOISE, STRENGTH)


def lines(*printed: str) -> str:
    return "\n".join(printed)


PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run)
    # -- Quick Start: the whole output
    (SCRIPT, DOCS, block(*OUTPUT)),
    # -- Concept 4: mixing a latent with itself
    (SCRIPT, DOCS, MIXING),
    # -- Concept 5: the spread under truncation
    (SCRIPT, DOCS, SPREAD),
    (SCRIPT, DOCS, "psi=0: 0.000"),
    # -- Concept 6: the noise inputs
    (SCRIPT, DOCS, block(NOISE, STRENGTH)),
    (SCRIPT, DOCS, "mean pixel change 0.001"),
    # -- Exercise 1: the training lines
    (SCRIPT, DOCS, block(*STEPS)),
    (SCRIPT, DOCS, "D(G(z))=0.15"),
    (SCRIPT, DOCS, "D(G(z))=0.19"),
    # -- Exercise 2: the mixing check
    (SCRIPT, DOCS, "largest pixel difference to the unmixed image 0.0e+00"),
    # -- Exercise 3: the spread, again
    (SCRIPT, DOCS, "psi=1: 0.264, psi=0.8: 0.241"),
    (SCRIPT, DOCS, "psi=1: 0.264"),
    # -- Exercise 4: the strengths
    (SCRIPT, DOCS, "4x4: 0.022"),
    (SCRIPT, DOCS, "16x16: 0.007"),
]

# Numbers the prose states from the run without quoting a whole line: (text in the
# lesson, the printed text it restates).  The printed text must be part of a checked
# quote, and every decimal number of the statement must be in it.
PROSE_NUMBERS = [
    # Concept 5
    ("at :math:`\\psi` = 0.8 the samples keep 0.241 of the 0.264 they had", SPREAD),
    ("even at :math:`\\psi` = 0.2 the spread is 0.093", SPREAD),
    # Concept 6
    ("while the spread across latents is 0.273", NOISE),
    ("the strengths are still tiny, from 0.007 to 0.022", STRENGTH),
    ("(The spread here, 0.273, is measured on the first 100 of the 500 latents of the truncation experiment, and so differs a little from the 0.264 above.)", lines(NOISE, SPREAD)),
    # Exercise 3
    ("and is still 0.093 at ``psi=0.2``", SPREAD),
    # Exercise 4
    ("the mean pixel change is 0.001", NOISE),
    # Exercise 5
    ("should be far below this page's 0.264", SPREAD),
]

# Decimal numbers of the lesson that are settings, not output, each checked against the
# code by a test below.
SETTINGS_IN_PROSE = {
    "0.9": "the probability of style mixing per training batch (MIXING_PROB, StyleRecipe.mixing_prob)",
    "0.1": "the course's learning-rate multiplier of the mapping network",
    "0.01": "StyleGAN's learning-rate multiplier of the mapping network (EqualizedLinear's docstring)",
    "0.995": "the decay of the tracked average w (w_avg_beta)",
    "0.99": "the docs preset's moving-average decay, and Adam's beta2",
    "0.999": "the full preset's moving-average decay",
    "0.5": "--psi 1,0.5,0 in a command line",
    "1.5": "--psi 1.5, a value the flag refuses",
}


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


def flat(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------
# The slow checks: the quotes are what the script prints, and the conclusions hold
# --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_lesson_quotes_what_the_script_prints(script_run, script, args, quoted):
    check_quote_is_printed(script_run, LESSON, script, args, quoted)


NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?"


def parse_run(stdout: str) -> SimpleNamespace:
    """The numbers of a docs run: training reports, the mixing difference, the spread
    per psi (in printed order), the noise change and spread, the strengths."""
    steps = [
        (int(m[0]), float(m[1]), float(m[2]))
        for m in re.findall(rf"^step\s+(\d+): D\(x\)=({NUMBER}) D\(G\(z\)\)=({NUMBER}) G loss=", stdout, re.M)
    ]
    mixing = re.search(rf"largest pixel difference to the unmixed image ({NUMBER})$", stdout, re.M)
    spread_line = re.search(r"^spread of 500 samples: (.*)$", stdout, re.M)
    spreads = [(float(m[0]), float(m[1])) for m in re.findall(rf"psi=({NUMBER}): ({NUMBER})", spread_line[1])]
    noise = re.search(rf"^noise: mean pixel change ({NUMBER}), against a spread of ({NUMBER}) across latents$", stdout, re.M)
    strength_line = re.search(r"^learned noise strength \(mean \|strength\| per layer\): (.*)$", stdout, re.M)
    strengths = [(int(m[0]), float(m[1])) for m in re.findall(rf"(\d+)x\d+: ({NUMBER})", strength_line[1])]
    layers = re.search(r"^styled layers \(num_ws\): (\d+), at resolutions \[(.*)\]$", stdout, re.M)
    return SimpleNamespace(
        steps=steps,
        mixing=float(mixing[1]),
        spreads=spreads,
        noise_change=float(noise[1]),
        noise_spread=float(noise[2]),
        strengths=strengths,
        num_ws=int(layers[1]),
        resolutions=[int(r) for r in layers[2].split(",")],
    )


@pytest.mark.slow
def test_quality_gates_and_conclusions_hold_in_the_run(script_run):
    run = script_run(SCRIPT, *DOCS)
    assert run.returncode == 0, run.stderr
    out = parse_run(run.stdout)
    # mixing a latent with itself gives the unmixed image, at every crossover
    assert out.mixing < 1e-6
    # truncation: the spread falls strictly as psi goes 1 -> 0, and psi = 0 gives one image
    psis = [psi for psi, _ in out.spreads]
    assert psis == [1.0, 0.8, 0.6, 0.4, 0.2, 0.0], psis
    values = [s for _, s in out.spreads]
    assert all(a > b for a, b in zip(values, values[1:])), values
    assert values[-1] == 0.0
    assert 0.3 < values[-2] / values[0] < 0.37  # "about a third"
    # the architecture: two styled layers per resolution, 4x4 to 16x16
    assert out.num_ws == 6 and out.resolutions == [4, 4, 8, 8, 16, 16]
    # the noise barely matters: > 100 times less than the spread across latents, and
    # the learned strengths stay small
    assert out.noise_spread > 100 * (out.noise_change + 0.0005)
    assert [r for r, _ in out.strengths] == out.resolutions
    assert all(0 < s < 0.05 for _, s in out.strengths)
    # D keeps an edge at every report but never wins outright
    assert [s for s, _, _ in out.steps] == [300, 600, 900, 1200, 1500]
    assert all(real > fake and 0.05 < fake and real < 0.95 for _, real, fake in out.steps)


# --------------------------------------------------------------------------------------
# Fast checks of the lesson side
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_claims_are_quoted_in_the_lesson(script, args, quoted):
    check_quote_is_in_lesson(LESSON, script, quoted)


@pytest.mark.parametrize("said,printed", PROSE_NUMBERS)
def test_numbers_in_the_prose_restate_quoted_lines(said, printed):
    check_prose_number(LESSON, said, printed, [quoted for _, _, quoted in PROSE_CLAIMS])


def test_every_decimal_number_of_the_prose_is_checked():
    check_decimals_are_checked(LESSON, [quoted for _, _, quoted in PROSE_CLAIMS], SETTINGS_IN_PROSE)


def test_numbers_derived_from_printed_ones_and_settings():
    """Statements the prose works out from the output or the settings rather than
    quoting them."""
    from modules.stylegan import StyleGenerator, _check_size
    from modules.style_diagrams import progressive_schedule

    text = flat(lesson_text())
    spread = {float(m[0]): float(m[1]) for m in re.findall(r"psi=([\d.]+): ([\d.]+)", SPREAD)}
    assert 0.3 < spread[0.2] / spread[1.0] < 0.37 and "about a third of the untruncated one" in text
    change, across = (float(v) for v in re.findall(r"\d+\.\d+", NOISE))
    assert across / (change + 0.0005) > 100 and "more than a hundred times as much" in text
    # the docs run's real images, and ProGAN's schedule for the same resolutions
    docs = constants(SCRIPT)["DOCS_PRESET"]
    assert docs["steps"] * docs["batch_size"] == 48_000
    assert "the whole docs run shows the discriminator 48,000 real images (1,500 steps of 32)" in text
    schedule = progressive_schedule([4, 8, 16], 800_000)
    assert schedule[-1][0] == 4_000_000 == 5 * 800_000
    assert "the schedule adds up to 4,000,000 images before the last phase ends, five phases of 800,000" in text
    # styled layers: 6 at 16x16, 18 at 1024x1024 (two per resolution)
    g = StyleGenerator(image_size=16, width=32)
    assert g.num_ws == 6 and g.layer_resolutions() == [4, 4, 8, 8, 16, 16]
    assert 2 * _check_size(1024) == 18 and _check_size(1024) == 9
    assert "gives ``num_ws`` = 6 style inputs for 16x16 images" in text
    assert "18 (two at each of the nine resolutions from 4x4 to 1024x1024)" in text
    # channels of the docs generator: 32 up to 8x8, 16 at 16x16
    assert [layer.out_channels for layer in g.layers] == [32, 32, 32, 32, 16, 16]
    assert "the feature maps 32 channels up to 8x8 and 16 at 16x16" in text
    # learning-rate multipliers: 100 times slower in the paper, 10 times here
    assert round(1 / 0.01) == 100 and round(1 / 0.1) == 10
    assert "a 100 times smaller learning rate (the course: 10 times)" in text
    # what the script does, as the prose counts it
    source = script_path(SCRIPT).read_text(encoding="utf-8")
    assert "G.mix(z[:16], z[:16], k)" in source and "for k in range(G.num_ws + 1)" in source
    assert "checks it for 16 latents and all seven crossovers" in text  # num_ws + 1 = 7
    assert "for i in range(32)" in source and "with 32 different noise draws" in text
    assert "sample_spread(G.generate(z_big[:100]))" in source and "noise_sampler(500, generator=rng)" in source
    assert "every = max(1, recipe.steps // 5)" in source and max(1, docs["steps"] // 5) == 300
    assert "the line printed every 300 steps" in text and "The script reports every 300th step" in text
    assert 'label="progress", n=16' in source and "The same 16 noise vectors over training" in text


def test_expected_output_blocks_are_checked_claims():
    """Every expected-output block of the lesson is, in full, one of the checked quotes."""
    check_expected_outputs_are_quotes(LESSON, [quoted for _, _, quoted in PROSE_CLAIMS], exactly=5)


def test_quick_start_shows_the_script_and_the_whole_output():
    """The site test compares the Quick Start's expected output up to its first blank line."""
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    first = re.search(r"literalinclude:: /gallery/12_1_9_style_based_generators/(\w+)\.py", quick)
    assert first and first.group(1) == SCRIPT
    assert "**Expected output** (``python stylegan_lite.py --preset docs``" in quick
    found = expected_output_blocks(quick)
    assert found and normalised(found[0]) == normalised(block(*OUTPUT))


def test_lesson_states_the_presets_the_script_has():
    """The captions and the prose describe the script's real presets."""
    values = constants(SCRIPT)
    assert values["DOCS_PRESET"] == {
        "dataset": "digits",
        "image_size": 16,
        "width": 32,
        "d_width": 16,
        "batch_size": 32,
        "steps": 1500,
        "ema_decay": 0.99,
    }
    assert (values["DATASET"], values["IMAGE_SIZE"], values["STEPS"], values["BATCH_SIZE"]) == ("mnist", 32, 10000, 64)
    assert (values["EMA_DECAY"], values["LEARNING_RATE"]) == (0.999, 1e-3)
    assert (values["Z_DIM"], values["W_DIM"], values["WIDTH"], values["D_WIDTH"]) == (64, 64, 64, 32)
    assert (values["MAPPING_LAYERS"], values["MIXING_PROB"], values["CROSSOVER"], values["SEED"]) == (4, 0.9, 2, 0)
    assert values["PSI"] == [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]
    text = one_line(lesson_text())
    for said in (
        "builds a style-based generator for 16x16 digits",
        "trains them for 1,500 steps",
        "the docs preset trains on scikit-learn's 1,797 digits at 16x16 (``--dataset digits --image-size 16``), with 32 channels in the generator's coarse layers and 16 in the discriminator's first, batches of 32, 1,500 steps and a moving average of the generator's weights with decay 0.99",
        "the full preset trains on mnist at 32x32 for 10,000 steps, with batches of 64 and decay 0.999",
        "both use a learning rate of 1e-3 for both players",
        "full preset: mnist at 32x32, 10,000 steps",
        "the course's default is 4 layers of ``w_dim`` units (``--mapping-layers``)",
        ":math:`z` and :math:`w` have 64 entries",
        "with probability ``mixing_prob`` = 0.9 (``--mixing-prob``)",
        "docs preset: 16x16 digits, 4 mapping layers, 6 styled layers",
        "docs preset: scikit-learn digits at 16x16, 1,500 steps",
        "mixing probability 0.9 in training",
        "style mixing at crossover 2: styles 0 and 1 (the 4x4 layers) from the latent on the left, styles 2 to 5 (8x8 and 16x16) from the latent on top",
        "for the resolutions of the docs preset's generator (4x4 to 16x16), with 800,000 images per phase and fade-ins of the same length",
    ):
        assert said in text, said
    # the progressive-growing figure: ProGAN's 800k per phase, the generator's resolutions
    source = script_path(SCRIPT).read_text(encoding="utf-8")
    assert "plot_progressive_schedule(resolutions, 800_000)" in source
    assert "resolutions = [4 * 2**i for i in range(G.num_ws // 2)]" in source
    assert "lasts 800,000 real images (800k)" in text


def test_lesson_states_the_settings_the_code_uses():
    """Settings of modules.stylegan and modules.models the prose states."""
    from modules import stylegan
    from modules.models import DCGANDiscriminator, batch_spread
    from modules.stylegan import EqualizedLinear, MappingNetwork, StyleGenerator, StyleRecipe, StyledConv, build_style_gan

    assert inspect.signature(MappingNetwork).parameters["lr_multiplier"].default == 0.1
    assert inspect.signature(MappingNetwork).parameters["layers"].default == 4
    generator = inspect.signature(StyleGenerator).parameters
    assert generator["mapping_lr_multiplier"].default == 0.1
    assert generator["w_avg_beta"].default == 0.995
    assert generator["mixing_prob"].default == 0.9
    assert "``lr_multiplier=0.01`` is StyleGAN's" in " ".join(EqualizedLinear.__doc__.split())
    assert "StyleGAN uses 8 layers of 512 units" in MappingNetwork.__doc__
    recipe = StyleRecipe()
    assert (recipe.beta1, recipe.beta2, recipe.mixing_prob, recipe.mapping_layers) == (0.0, 0.99, 0.9, 4)
    conv = inspect.getsource(StyledConv)
    assert "self.noise_strength = nn.Parameter(torch.zeros(out_channels))" in conv
    assert "nn.LeakyReLU(0.2)" in conv and 'mode="bilinear"' in conv and "kernel_size=3" in conv
    assert "self.style.bias[:out_channels].fill_(1.0)" in conv and "self.style.bias[out_channels:].zero_()" in conv
    forward = inspect.getsource(StyleGenerator.forward)
    assert "torch.randint(1, self.num_ws, ()" in forward  # k uniform in 1 .. num_ws - 1
    assert "self.w_avg_beta if int(self.w_avg_updates) > 0 else 0.0" in forward  # the first update copies
    assert "torch.lerp(self.w_avg.expand_as(w), w, psi)" in inspect.getsource(StyleGenerator.truncate)
    assert "minibatch_std=True" in inspect.getsource(build_style_gan)
    assert "x.std(dim=0, unbiased=False).mean()" in inspect.getsource(batch_spread)
    assert "batch_spread(x[:, : self.channels])" in inspect.getsource(DCGANDiscriminator.forward)
    assert "FIXED_NOISE_SEED" in inspect.getsource(stylegan.StyleGenerator.fixed_noise)
    text = one_line(lesson_text())
    for said in (
        "a multiplier of 0.01",
        "the course uses 0.1",
        "with :math:`\\beta` = 0.995",
        "the first update copies the batch mean",
        "adam with :math:`\\beta_1 = 0` and :math:`\\beta_2` = 0.99",
        "leakyrelu with slope 0.2",
        "the course's strengths start at exactly 0 (``torch.zeros(out_channels)`` in ``styledconv``)",
        "the crossover ``k`` is drawn uniformly from 1 to ``num_ws - 1``",
        "whose bias is set so that the scales start around 1 and the biases around 0",
    ):
        assert said in text, said
    assert set(SETTINGS_IN_PROSE) == {"0.9", "0.1", "0.01", "0.995", "0.99", "0.999", "0.5", "1.5"}
    assert "--psi 1,0.5,0" in lesson_text() and "--psi 1.5" in lesson_text()


def test_psi_outside_the_unit_interval_is_refused_with_one_line():
    """Exercise 3: ``--psi 1.5`` stops with one line on stderr and exit status 2, before
    any training."""
    run = run_script(SCRIPT, *DOCS, "--psi", "1.5")
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and "--psi" in run.stderr and "[0, 1]" in run.stderr
    assert "Traceback" not in run.stderr and "step" not in run.stdout
    text = flat(lesson_text())
    assert "It is refused** with one line on stderr and exit status 2, before any training" in text


def test_every_figure_shown_is_drawn_by_the_script():
    """The nine figures are drawn by stylegan_lite.py: six with the label written in the
    script, three through a plotting function whose default label is the figure's (the
    script passes no other); every caption names the docs preset and its command."""
    from modules import plotting, style_diagrams

    by_default = {
        "architecture": (style_diagrams, "draw_stylegan_diagram"),
        "style_mixing": (plotting, "plot_mixing_grid"),
        "progressive_growing": (style_diagrams, "plot_progressive_schedule"),
    }
    literal = ("samples", "progress", "crossover_strip", "truncation", "noise", "training_curves")
    refs = shown_figures(lesson_text())
    assert sorted(label for _, _, label in refs) == sorted((*by_default, *literal))
    source = script_path(SCRIPT).read_text(encoding="utf-8")
    for folder, script, label in refs:
        assert script == SCRIPT
        if label in literal:
            caption = check_figure_is_drawn(LESSON, folder, script, label, own_folder=LESSON.stem)
        else:
            assert folder == LESSON.stem and not draws_label(source, label)
            module, function = by_default[label]
            assert inspect.signature(getattr(module, function)).parameters["label"].default == label
            calls = re.findall(rf"{function}\((.*?)\)\n", source, re.S)
            assert calls and all("label=" not in call for call in calls), f"{SCRIPT}.py does not draw {label} with {function}"
            caption = one_line(directive_block(lesson_text(), f"{script}-{label}.png"))
        assert "docs preset" in caption and "--preset docs" in caption, f"the caption of {label} does not name the docs preset"


def test_downloads_and_example_links_point_at_gallery_scripts():
    check_downloads_and_example_links(LESSON, own=[SCRIPT])


def test_every_flag_the_lesson_mentions_exists():
    assert scripts_named(lesson_text()) == [SCRIPT]
    check_flags_exist(
        LESSON,
        must_mention=("--preset", "--mixing-prob", "--psi", "--crossover", "--mapping-layers", "--steps", "--dataset", "--image-size"),
    )


def test_literalincludes_find_what_they_include():
    includes = check_literalincludes(LESSON, at_least=12)
    targets = {target for target, _ in includes}
    assert {"/gallery/12_1_9_style_based_generators/stylegan_lite.py", "/modules/stylegan.py", "/modules/models.py"} <= targets
    objects = {re.search(r":pyobject:\s*(\S+)", options)[1] for _, options in includes if ":pyobject:" in options}
    assert {
        "MappingNetwork",
        "StyledConv.forward",
        "StyleGenerator.forward",
        "StyleGenerator.truncate",
        "StyleGenerator.mix",
        "build_style_gan",
        "batch_spread",
    } <= objects


def test_the_hand_edit_of_exercise_5_shows_the_real_line():
    """The line the lesson asks students to change is the one in build_style_gan."""
    from modules.stylegan import build_style_gan

    line = "discriminator = DCGANDiscriminator(recipe.image_size, dataset.channels, recipe.d_width, minibatch_std=True)"
    assert line in inspect.getsource(build_style_gan)
    shown = directive_block(lesson_text(), ":caption: modules/stylegan.py, in build_style_gan: change True to False")
    assert line in shown


def test_the_snippet_of_exercise_6_prints_what_its_answer_says():
    """The quality-gate snippet runs with the names the script defines (on a small
    generator whose average w has been tracked once) and prints 0, a falling list
    ending in 0, and 0."""
    import torch

    from modules.data import normal_noise
    from modules.stylegan import StyleGenerator, sample_spread

    text = lesson_text()
    snippet = text.split(":caption: Your own checks, after the script has run", 1)[1].split("\n\n", 1)[1]
    code = "\n".join(line[3:] for line in snippet.split("\n\n", 1)[0].splitlines())
    script = script_path(SCRIPT).read_text(encoding="utf-8")
    assert "import torch" in script and "sample_spread" in script and "G = trainer.ema_generator" in script
    torch.manual_seed(0)
    G = StyleGenerator(image_size=16, width=32, seed=0)
    G.train()
    G(torch.randn(32, 64))  # one training-mode call tracks w_avg
    G.eval()
    trainer = SimpleNamespace(noise_sampler=functools.partial(normal_noise, dim=64))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, {"torch": torch, "G": G, "trainer": trainer, "sample_spread": sample_spread})
    first, spreads, mixing = printed.getvalue().strip().splitlines()
    assert float(first) == 0.0
    values = [float(v) for v in spreads.strip("[]").split(",")]
    assert len(values) == 6 and values[-1] == 0.0 and all(a > b for a, b in zip(values, values[1:]))
    assert float(mixing) == 0.0
    assert "print([round(sample_spread(G.generate(z, psi=p)), 3) for p in (1, 0.8, 0.6, 0.4, 0.2, 0)])" in code


def test_references_defined_here_are_defined_nowhere_else():
    check_references(LESSON, OWN_REFERENCES, CITED_FROM_ELSEWHERE)


def test_lesson_has_the_course_format():
    check_course_format(LESSON, "module-12-1-9-style-based-generators", "45-50 minutes", "Advanced", dropdowns=6)