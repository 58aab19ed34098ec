"""Lesson 12.1.9 (Style-Based Generators) says only what its script and its modules do.

* The lesson pastes no output and no number from a run: its output blocks are
  ``build-output`` directives and its numbers ``:result:`` roles, filled in from the
  site build's own run of ``stylegan_lite.py --preset docs``.  The sentences that read
  those numbers rest on the quality gates of ``tests/lesson_gates/lesson_12_1_9.py``,
  checked on the build's records and, over seeds and CPU kernel paths, by
  ``tests/robustness.py``.
* What every lesson is checked for (results recorded, output blocks the script writes,
  known decimals, the Quick Start, figures, links, flags, included code, references,
  format) is in ``test_lesson_claims.py``.  Here, what only this lesson claims: its
  output blocks select the lines it explains, the results it interprets have gates,
  the numbers the prose works out from the settings are right, the presets and
  settings the prose states are the script's and the modules' (checked on values, on
  built modules and on the code's syntax tree, not its text), ``--psi`` refuses values
  outside [0, 1], the hand edit of Exercise 5 shows a statement that is really in the
  code, and the snippet of Exercise 6 runs and prints what its answer says.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import io
import re
from types import SimpleNamespace

from course import ROOT, run_script
from lesson_checks import (
    assignments,
    calls_with,
    constants,
    directive_block,
    loops,
    names_used,
    one_line,
    records,
    tree_of,
)

LESSON = ROOT / "docs" / "12_1_9_style_based_generators.rst"
SCRIPT = "stylegan_lite"
DOCS = ("--preset", "docs")

def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_numbers_derived_from_settings():
    """Statements the prose works out from the settings and the code."""
    from modules.networks.stylegan import StyleGenerator, _check_size
    from modules.figures.style_diagrams import progressive_schedule

    text = flat(lesson_text())
    # a fall of the spread in proportion to psi would leave a fifth at psi = 0.2
    assert "more than the fifth that a fall in proportion would leave" in text
    # the docs run's real images, and ProGAN's schedule for the same resolutions
    docs = constants(SCRIPT)["DOCS_PRESET"]
    assert docs["steps"] * docs["batch_size"] == 48_000
    assert "the whole docs run shows the discriminator 48,000 real images (1,500 steps of 32)" in text
    schedule = progressive_schedule([4, 8, 16, 32], 800_000)
    assert schedule[-1][0] == 5_600_000 == 7 * 800_000
    assert "the schedule adds up to 5,600,000 images before the last phase ends, seven phases of 800,000" in text
    # styled layers: 8 at 32x32, 18 at 1024x1024 (two per resolution)
    g = StyleGenerator(image_size=32, width=32)
    assert g.num_ws == 8 and g.layer_resolutions() == [4, 4, 8, 8, 16, 16, 32, 32]
    assert 2 * _check_size(1024) == 18 and _check_size(1024) == 9
    assert "gives ``num_ws`` = 8 style inputs for 32x32 images" in text
    assert "18 (two at each of the nine resolutions from 4x4 to 1024x1024)" in text
    # channels of the docs generator: 32 up to 8x8, 16 at 16x16, 8 at 32x32
    assert [layer.out_channels for layer in g.layers] == [32, 32, 32, 32, 16, 16, 8, 8]
    assert "the feature maps 32 channels up to 8x8, 16 at 16x16 and 8 at 32x32" in text
    # learning-rate multipliers: 100 times slower in the paper, 10 times here
    assert round(1 / 0.01) == 100 and round(1 / 0.1) == 10
    assert "a 100 times smaller learning rate (the course: 10 times)" in text
    # what the script does, as the prose counts it (read from its syntax tree)
    assert calls_with(SCRIPT, "mix", "z[:16]", "z[:16]", "k") and ("k", "range(G.num_ws + 1)") in loops(SCRIPT)
    assert "checks it for 16 latents and all nine crossovers" in text  # num_ws + 1 = 9
    assert ("i", "range(32)") in loops(SCRIPT) and "with 32 different noise draws" in text
    assert calls_with(SCRIPT, "sample_spread", "G.generate(z_big[:100])") and calls_with(SCRIPT, "noise_sampler", "500", generator="rng")
    recipe = SimpleNamespace(steps=docs["steps"])
    assert [eval(every, {"max": max, "recipe": recipe}) for every in assignments(SCRIPT)["every"]] == [300]
    assert "the line printed every 300 steps" in text and "The script reports every 300th step" in text
    assert calls_with(SCRIPT, "plot_image_progress", label='"progress"', n="16") and "The same 16 noise vectors over training" in text


# the build-output blocks of the lesson: (where, the options that select the lines)
OUTPUT_BLOCKS = [
    ("Quick Start", {"start-at": "preset=docs", "end-at": "learned noise strength"}),
    ("Concept 4", {"start-at": "mixing a latent with itself", "end-at": "mixing a latent with itself"}),
    ("Concept 5", {"start-at": "spread of 500 samples", "end-at": "spread of 500 samples"}),
    ("Concept 6", {"start-at": "noise: mean pixel change", "end-at": "learned noise strength"}),
    ("Exercise 1", {"grep": "^step"}),
]


def test_the_lesson_pastes_no_output_and_no_run_numbers():
    """No pasted expected output: the output blocks are build-output directives of the
    script, selecting the lines the lesson explains; every result role names a value
    the script records, per psi and crossover of the docs preset."""
    text = lesson_text()
    assert ":class: expected-output" not in text and "**Expected output**" not in text
    blocks = [
        (m.group(1), dict(re.findall(r"^   :([\w-]+): (.*)$", m.group(2), re.M)))
        for m in re.finditer(r"^\.\. build-output:: (\S+)\n((?:   :[\w-]+:.*\n)*)", text, re.M)
    ]
    assert [script for script, _ in blocks] == [SCRIPT] * len(OUTPUT_BLOCKS)
    assert [options for _, options in blocks] == [options for _, options in OUTPUT_BLOCKS]
    # the names the script makes per psi and per crossover are those of the docs preset
    psis = {f"{psi:g}".replace(".", "_") for psi in constants(SCRIPT)["PSI"]}
    for name in re.findall(r":result:`stylegan_lite\.(\w+)`", text):
        assert records(SCRIPT, name), name
        per_psi = re.fullmatch(r"spread(?:_share)?_psi_(\w+)", name)
        assert per_psi is None or per_psi.group(1) in psis, f"no psi of the docs preset gives {name}"
        per_crossover = re.fullmatch(r"crossover_share_(\w+)", name)
        assert per_crossover is None or int(per_crossover.group(1)) in range(9), name  # num_ws = 8
        per_crossover = re.fullmatch(r"keeps_digit_(\w+)", name)
        assert per_crossover is None or int(per_crossover.group(1)) in range(9), name


def test_every_interpreted_result_has_a_gate():
    """The values the lesson's sentences read are the ones its quality gates check."""
    from lesson_gates.lesson_12_1_9 import GATES

    checked = {name for gate in GATES for name in gate.shows}
    for name in (
        "mixing_identity_diff", "spreads", "noise_ratio", "noise_strength_max", "curve_d_real_min",
        "curve_d_fake_max", "background_fake", "crossover_share", "spread_share_psi_0_2", "curve_lowest",
        "recognised", "recognised_real", "crossover_keeps_digit", "keeps_digit_6", "keeps_digit_2", "precision_recall",
    ):
        assert name in checked, name


def test_lesson_states_the_presets_the_script_has():
    """The captions and the prose describe the script's real presets."""
    values = constants(SCRIPT)
    assert values["DOCS_PRESET"] == {
        "dataset": "mnist-5k",
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
        "builds a style-based generator for 32x32 digits",
        "trains them for 1,500 steps",
        "the docs preset trains on the 4,000 training digits of ``mnist-5k`` at 32x32",
        "with 32 channels in the generator's coarse layers and 16 in the discriminator's first, batches of 32, 1,500 steps and a moving average of the generator's weights with decay 0.99",
        "the full preset trains on all of mnist at the same size for 10,000 steps, with 64 channels, batches of 64 and decay 0.999",
        "both use a learning rate of 1e-3 for both players",
        "full preset: mnist at 32x32, 10,000 steps",
        "the course's default is 4 layers of ``w_dim`` units (``--mapping-layers``)",
        ":math:`z` and :math:`w` have 64 entries",
        "with probability ``mixing_prob`` = 0.9 (``--mixing-prob``)",
        "docs preset: 32x32 digits, 4 mapping layers, 8 styled layers",
        "docs preset: ``mnist-5k`` at 32x32, 1,500 steps",
        "mixing probability 0.9 in training",
        "style mixing at crossover 2: styles 0 and 1 (the 4x4 layers) from the latent on the left, styles 2 to 7 (8x8 to 32x32) from the latent on top",
        "for the resolutions of the docs preset's generator (4x4 to 32x32), with 800,000 images per phase and fade-ins of the same length",
    ):
        assert said in text, said
    # the progressive-growing figure: ProGAN's 800k per phase, the generator's resolutions
    assert calls_with(SCRIPT, "plot_progressive_schedule", "resolutions", "800_000")
    docs_generator = SimpleNamespace(num_ws=8)  # 32x32: two styled layers at each of 4x4, 8x8, 16x16, 32x32
    assert [eval(r, {"G": docs_generator}) for r in assignments(SCRIPT)["resolutions"]] == [[4, 8, 16, 32]]
    assert "lasts 800,000 real images (800k)" in text


def test_lesson_states_the_settings_the_code_uses():
    """Settings of modules.networks.stylegan and modules.networks.dcgan the prose states."""
    from modules.networks import stylegan
    from modules.networks.dcgan import DCGANDiscriminator
    from modules.networks.mlp import batch_spread
    from modules.networks.stylegan import EqualizedLinear, MappingNetwork, StyleGenerator, StyledConv
    from modules.experiments.stylegan import StyleRecipe, build_style_gan

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
    import torch
    from torch import nn

    # a styled layer: noise strengths start at 0, LeakyReLU(0.2), a 3x3 convolution after
    # a bilinear upsampling, style scales starting around 1 and biases around 0
    conv = StyledConv(8, 4, 16, upsample=True)
    assert conv.noise_strength.shape == (4,) and not conv.noise_strength.detach().any()
    slopes = [m.negative_slope for m in conv.modules() if isinstance(m, nn.LeakyReLU)]
    assert slopes and set(slopes) == {0.2} and conv.conv.kernel_size == (3, 3)
    assert calls_with(StyledConv.forward, "interpolate", mode='"bilinear"')
    assert bool((conv.style.bias[:4] == 1).all()) and not conv.style.bias[4:].detach().any()
    # the crossover k is drawn uniformly from 1 to num_ws - 1
    assert calls_with(StyleGenerator.forward, "randint", "1", "self.num_ws", "()")
    # the tracked average: the first update copies the batch mean, later ones move it by 1 - 0.995
    torch.manual_seed(0)
    G = StyleGenerator(image_size=16, width=32, seed=0, mixing_prob=0.0).train()
    z1, z2 = torch.randn(8, 64), torch.randn(8, 64)
    with torch.no_grad():
        w1, w2 = G.mapping(z1).mean(0), G.mapping(z2).mean(0)
        G(z1)
        assert torch.allclose(G.w_avg, w1, atol=1e-6)
        G(z2)
        assert torch.allclose(G.w_avg, w2 + 0.995 * (w1 - w2), atol=1e-6)
        w = G.mapping(z2)
        assert torch.allclose(G.truncate(w, 0.3), G.w_avg + 0.3 * (w - G.w_avg), atol=1e-6)  # w_avg + psi (w - w_avg)
    assert calls_with(build_style_gan, "DCGANDiscriminator", minibatch_std="True")
    x = torch.randn(16, 5, 4, 4)
    assert torch.allclose(batch_spread(x), x.std(dim=0, unbiased=False).mean())
    assert calls_with(DCGANDiscriminator.forward, "batch_spread", "x[:, : self.channels]")
    assert "FIXED_NOISE_SEED" in names_used(stylegan.StyleGenerator.fixed_noise)
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
    assert constants(SCRIPT)["PSI"] == [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]
    from lesson_specs import BY_STEM

    assert set(BY_STEM[LESSON.stem].decimals) == {"0.9", "0.1", "0.01", "0.995", "0.99", "0.999", "0.8", "0.6", "0.4", "0.2", "0.5", "1.5", "0.0"}
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


def test_the_hand_edit_of_exercise_5_shows_the_real_line():
    """The statement the lesson asks students to change (True to False) is one of
    build_style_gan's, compared as code, not as text."""
    from modules.experiments.stylegan import build_style_gan

    shown = directive_block(lesson_text(), ":caption: modules/networks/stylegan.py, in build_style_gan: change True to False")
    code = "\n".join(line.strip() for line in shown.splitlines() if line.strip() and not line.strip().startswith(":"))
    (statement,) = ast.parse(code).body
    assert "minibatch_std=True" in ast.unparse(statement)
    real = {ast.dump(node) for node in ast.walk(tree_of(build_style_gan).tree) if isinstance(node, ast.stmt)}
    assert ast.dump(statement) in real, f"build_style_gan has no statement {ast.unparse(statement)!r}"


def test_the_snippet_of_exercise_6_prints_what_its_answer_says():
    """The quality-gate snippet runs with the names the script defines (on a small
    generator whose average w has been tracked once) and prints 0, a falling list
    ending in 0, and 0."""
    import torch

    from modules.data.synthetic import normal_noise
    from modules.networks.stylegan import StyleGenerator
    from modules.experiments.stylegan import sample_spread

    text = lesson_text()
    snippet = text.split(":caption: Your own checks, after the script has run", 1)[1].split("\n\n", 1)[1]
    code = "\n".join(line[3:] for line in snippet.split("\n\n", 1)[0].splitlines())
    # the names the snippet uses are the script's: torch, sample_spread, G (the moving average) and trainer
    assert {"torch", "sample_spread", "trainer"} <= names_used(SCRIPT)
    assert any("trainer.ema_generator" in value for value in assignments(SCRIPT)["G"])
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


