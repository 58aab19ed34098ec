"""Lesson 12.1.9 (Style-Based Generators) says only what its script and its modules do.

* The lesson pastes no output and no number from a run: its output blocks are
  ``build-output`` directives and its numbers ``:result:`` roles, filled in from the
  site build's own run of ``stylegan_lite.py --preset docs``.  The sentences that read
  those numbers (mixing a latent with itself changes nothing, the spread falls as psi
  goes from 1 to 0, the noise barely matters, D keeps an edge, the coarse styles decide
  the image, ...) rest on the quality gates of ``tests/lesson_gates/lesson_12_1_9.py``,
  checked on the build's records and, over seeds and CPU kernel paths, by
  ``tests/robustness.py``.
* The fast tests here need no training: every ``:result:`` the lesson uses is a name
  the script records, every output block selects lines the script prints, every
  decimal number left in the prose is a setting checked against the code, the numbers
  the prose works out from the settings are right, the presets and settings the prose
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

from course import ROOT, run_script, script_path
from lesson_checks import (
    check_course_format,
    check_decimals_are_checked,
    check_references,
    check_downloads_and_example_links,
    check_figure_is_drawn,
    check_flags_exist,
    check_literalincludes,
    constants,
    directive_block,
    draws_label,
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

# Decimal numbers of the lesson that are settings, not output, each checked against the
# code by a test below.
SETTINGS_IN_PROSE = {
    "0.9": "the probability of style mixing per training batch (MIXING_PROB, StyleRecipe.mixing_prob)",
    "0.1": "the course's learning-rate multiplier of the mapping network",
    "0.01": "StyleGAN's learning-rate multiplier of the mapping network (EqualizedLinear's docstring)",
    "0.995": "the decay of the tracked average w (w_avg_beta)",
    "0.99": "the docs preset's moving-average decay, and Adam's beta2",
    "0.999": "the full preset's moving-average decay",
    "0.8": "a truncation value of the strip (PSI)",
    "0.6": "a truncation value of the strip (PSI)",
    "0.4": "a truncation value of the strip (PSI)",
    "0.2": "a truncation value of the strip (PSI), and LeakyReLU's slope",
    "0.5": "--psi 1,0.5,0 in a command line",
    "1.5": "--psi 1.5, a value the flag refuses",
    "0.0": "what the snippet of Exercise 6 prints for mixing a latent with itself (run by a test below)",
}

def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


def flat(text: str) -> str:
    return " ".join(text.split())


def test_every_decimal_number_of_the_prose_is_checked():
    check_decimals_are_checked(LESSON, [], SETTINGS_IN_PROSE)


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


# the build-output blocks of the lesson: (where, the options that select the lines)
OUTPUT_BLOCKS = [
    ("Quick Start", {"start-at": "preset=docs", "end-at": "learned noise strength"}),
    ("Concept 4", {"start-at": "mixing a latent with itself", "end-at": "mixing a latent with itself"}),
    ("Concept 5", {"start-at": "spread of 500 samples", "end-at": "spread of 500 samples"}),
    ("Concept 6", {"start-at": "noise: mean pixel change", "end-at": "learned noise strength"}),
    ("Exercise 1", {"grep": "^step"}),
]


def build_output_blocks(text: str) -> list[tuple[str, dict]]:
    """``(script, options)`` of every ``build-output`` directive, in order."""
    found = []
    for m in re.finditer(r"^\.\. build-output:: (\S+)\n((?:   :[\w-]+:.*\n)*)", text, re.M):
        options = dict(re.findall(r"^   :([\w-]+): (.*)$", m.group(2), re.M))
        found.append((m.group(1), options))
    return found


def recorded_names() -> set[str]:
    """The names stylegan_lite.py records in a docs run: the literal ones of its
    ``record(...)`` calls, and those it makes per psi of the docs preset and per
    crossover of its six styled layers."""
    source = script_path(SCRIPT).read_text(encoding="utf-8")
    names = set(re.findall(r"record\(\s*[\"']([A-Za-z_]\w*)[\"']", source))
    psis = constants(SCRIPT)["PSI"]
    assert 'record(f"spread_psi_{psi:g}".replace(".", "_"), s, ".3f")' in source
    names |= {f"spread_psi_{psi:g}".replace(".", "_") for psi in psis}
    assert 'record(f"spread_share_psi_{psi:g}".replace(".", "_"), s / spreads[1.0], ".0%")' in source
    names |= {f"spread_share_psi_{psi:g}".replace(".", "_") for psi in psis if psi != 1.0}
    assert 'record(f"crossover_share_{k}", share[k], ".2f")' in source and "for k in range(G.num_ws, -1, -1):" in source
    names |= {f"crossover_share_{k}" for k in range(7)}  # num_ws = 6 in the docs preset
    return names


def test_the_lesson_pastes_no_output_and_no_run_numbers():
    """No pasted expected output: every output block is a build-output directive of the
    script, selecting the lines the lesson explains; every result role names a value
    the script records."""
    text = lesson_text()
    assert ":class: expected-output" not in text and "**Expected output**" not in text
    blocks = build_output_blocks(text)
    assert [script for script, _ in blocks] == [SCRIPT] * len(OUTPUT_BLOCKS)
    assert [options for _, options in blocks] == [options for _, options in OUTPUT_BLOCKS]
    source = script_path(SCRIPT).read_text(encoding="utf-8")
    printed = {
        "preset=docs": 'print(f"preset={args.preset}',
        "learned noise strength": 'print("learned noise strength',
        "mixing a latent with itself": 'print(f"mixing a latent with itself',
        "spread of 500 samples": 'print("spread of 500 samples: "',
        "noise: mean pixel change": 'print(f"noise: mean pixel change',
        "^step": 'return f"step {step:5d}',
    }
    for _, options in blocks:
        for marker in options.values():
            assert printed[marker] in source, f"stylegan_lite.py prints no line for {marker!r}"
    quick = section(text, "Quick Start", "Core Concepts")
    assert "literalinclude:: /gallery/12_1_9_style_based_generators/stylegan_lite.py" in quick
    assert ".. build-output:: stylegan_lite" in quick
    used = set(re.findall(r":result:`stylegan_lite\.(\w+)`", text))
    assert used and not re.findall(r":result:`(?!stylegan_lite\.)", text)
    assert used <= recorded_names(), sorted(used - recorded_names())


def test_every_interpreted_result_has_a_gate():
    """The values the lesson's sentences read are the ones its quality gates check."""
    from lesson_gates.lesson_12_1_9 import GATES

    checked = {name for gate in GATES for name in gate.shows}
    for name in (
        "mixing_identity_diff", "spreads", "noise_ratio", "noise_strength_max", "curve_d_real_min",
        "curve_d_fake_max", "background_fake", "crossover_share", "spread_share_psi_0_2", "curve_lowest",
    ):
        assert name in checked, name


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
    assert constants(SCRIPT)["PSI"] == [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]
    assert set(SETTINGS_IN_PROSE) == {"0.9", "0.1", "0.01", "0.995", "0.99", "0.999", "0.8", "0.6", "0.4", "0.2", "0.5", "1.5", "0.0"}
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
    from modules.figures import plotting
    from modules.figures import style_diagrams

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
    assert {"/gallery/12_1_9_style_based_generators/stylegan_lite.py", "/modules/networks/stylegan.py", "/modules/networks/dcgan.py"} <= targets
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
    from modules.experiments.stylegan import build_style_gan

    line = "discriminator = DCGANDiscriminator(recipe.image_size, dataset.channels, recipe.d_width, minibatch_std=True)"
    assert line in inspect.getsource(build_style_gan)
    shown = directive_block(lesson_text(), ":caption: modules/networks/stylegan.py, in build_style_gan: change True to False")
    assert line in shown


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
    check_course_format(LESSON, "module-12-1-9-style-based-generators", "100-115 minutes", "Advanced", dropdowns=6)