"""Lessons 12.1.2 (DCGAN) and 12.1.3 (conditional GANs) say only what their scripts do.

No number from a run is pasted into these lessons: the build pulls the scripts'
printed lines (``.. build-output::``) and recorded values (``:result:``) into the pages,
and the sentences that interpret them rest on the quality gates of
``tests/lesson_gates/lesson_12_1_2.py`` and ``lesson_12_1_3.py``.  These tests need no
training: every role names a value its script records and every build-output names a
line its script prints, no decimal is left in the prose but a known setting, the presets
the captions name are the scripts' presets, every figure and animation a lesson shows is
one its script draws, every download and example link points at a gallery script, every
flag a lesson mentions exists, the shown code exists, the references are accounted for,
and the corrections of issue 15 stay made.
"""

from __future__ import annotations

import re

import pytest

from course import ROOT, script_path
from lesson_checks import (
    check_course_format,
    check_decimals_are_checked,
    check_downloads_and_example_links,
    check_figure_is_drawn,
    check_flags_exist,
    check_literalincludes,
    check_references,
    one_line,
    read,
    shown_figures,
)

DCGAN = ROOT / "docs" / "12_1_2_dcgan.rst"
CGAN = ROOT / "docs" / "12_1_3_conditional_gans.rst"
LESSONS = (DCGAN, CGAN)
SCRIPTS = {
    DCGAN: ("dcgan_train", "dcgan_latent", "dcgan_upsampling"),
    CGAN: ("conditional_gan", "dcgan_train"),  # Exercise 4 compares with the DCGAN
}
# Decimals the prose may state: settings and thresholds, each checked against the code
# in test_settings_the_lessons_state_are_the_code's
SETTINGS = {
    DCGAN: {"0.02", "0.2", "0.5", "0.9", "0.99", "0.999", "0.1"},
    CGAN: {"0.5"},
}
ROLE = re.compile(r":result:`(\w+)\.(\w+)`")
BUILD_OUTPUT = re.compile(r"^(\s*)\.\. build-output:: (\w+)\n((?:\1   :[\w-]+:.*\n)*)", re.M)


def recorded_names(script: str) -> set[str]:
    """The names a script records: ``record("name", ...)`` and the f-string names of a
    loop (``record(f"untrained_{mode}", ...)`` over the modes it loops over)."""
    source = read(script_path(script))
    names = set(re.findall(r"\brecord\(\"(\w+)\"", source))
    for prefix in re.findall(r"\brecord\(f\"(\w+)\{", source):
        names |= {prefix + mode for mode in ("transposed", "resize")}
    for group in re.findall(r"for name, value in zip\(\(([^)]*)\)", source):
        names |= set(re.findall(r"\"(\w+)\"", group))
    return names


# --------------------------------------------------------------------------------------
# Numbers come from the build
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_pasted_output(lesson):
    assert ":class: expected-output" not in read(lesson)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_roles_name_values_the_scripts_record(lesson):
    roles = ROLE.findall(read(lesson))
    assert len(roles) >= 5
    for script, name in roles:
        assert script in SCRIPTS[lesson], f"{lesson.name} quotes {script}, a script of another lesson"
        assert name in recorded_names(script), f"{script}.py records no {name!r}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_build_outputs_name_lines_the_scripts_print(lesson):
    """Each marker of a build-output is printed by its script (a string or the start of
    an f-string of a ``print``), so the build cannot fail on a vanished line."""
    blocks = BUILD_OUTPUT.findall(read(lesson))
    assert len(blocks) >= 2
    for _, script, options in blocks:
        assert script in SCRIPTS[lesson]
        prints = " ".join(re.findall(r"print\((.*)\)", read(script_path(script))))
        for key, marker in re.findall(r":([\w-]+):\s*(.*)", options):
            if key in ("start-at", "start-after", "end-at", "end-before"):
                first = re.split(r"\s{2,}", marker.strip())[0]  # 'net.8    Conv2d': a padded name
                if first.startswith("step"):
                    first = "step"  # f"step {step:5d}: ..."
                assert first in prints or re.sub(r"\W+", "", first) in re.sub(r"\W+", "", prints), (
                    f"{script}.py prints nothing like {marker!r}"
                )


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_decimal_but_settings(lesson):
    check_decimals_are_checked(lesson, [], SETTINGS[lesson])


def test_settings_the_lessons_state_are_the_code():
    train = read(script_path("dcgan_train"))
    models = read(ROOT / "modules" / "networks" / "dcgan.py")
    assert "BETA1 = 0.5" in train and "EMA_DECAY = 0.999" in train and '"ema_decay": 0.99' in train
    assert "(d_real > 0.9) & (d_fake < 0.1)" in train  # the phase "D wins outright"
    assert "0.02" in models and "LeakyReLU(0.2" in models


# --------------------------------------------------------------------------------------
# Corrections of issue 15
# --------------------------------------------------------------------------------------
def test_initialisation_is_sourced():
    """The BatchNorm initialisation cites the code it follows; no unsourced 'mistake found
    in published DCGAN code' remains."""
    text = one_line(read(DCGAN))
    assert "mistake found in published" not in text
    assert "[PyTorchDCGAN]_" in read(DCGAN)
    assert re.search(r"\.\. \[PyTorchDCGAN\] .*github\.com/pytorch/examples/\S*dcgan/main\.py", read(DCGAN))
    models = read(ROOT / "modules" / "networks" / "dcgan.py")
    assert re.search(r"normal_\([^)]*1\.0, 0\.02\)", models), "dcgan_init no longer draws BatchNorm scales from N(1, 0.02^2)"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_answers_answer(lesson):
    """An answer gives the answer (from the build's numbers, or in words backed by a gate
    or a test), it does not send the student off to find out."""
    text = one_line(read(lesson)).lower()
    for dodge in ("run it and see", "run them and see", "see what your machine shows"):
        assert dodge not in text


def test_width_answer_parameter_counts_grow_with_the_square_of_the_width():
    """Exercise 2's answer: D's count grows about fourfold per doubling of the width,
    G's between two- and fourfold (its first layer grows only in proportion)."""
    from modules.networks.dcgan import DCGANDiscriminator, DCGANGenerator

    def count(model):
        return sum(p.numel() for p in model.parameters())

    for cls, low in ((DCGANGenerator, 2.0), (DCGANDiscriminator, 3.5)):
        n8, n16, n32 = (count(cls(image_size=32, width=w)) for w in (8, 16, 32))
        assert low <= n16 / n8 <= 4.2 and low <= n32 / n16 <= 4.2, (cls.__name__, n8, n16, n32)
    assert "about fourfold per doubling" in one_line(read(DCGAN))


# --------------------------------------------------------------------------------------
# The lesson side: presets, figures, links, flags, code, references, format
# --------------------------------------------------------------------------------------
def test_lessons_state_the_docs_presets_they_show():
    """The captions name the docs presets the scripts really have."""
    train = read(script_path("dcgan_train"))
    upsampling = read(script_path("dcgan_upsampling"))
    conditional = read(script_path("conditional_gan"))
    assert 'DOCS_PRESET = {"dataset": "digits", "image_size": 32, "width": 16, "batch_size": 64, "steps": 1000, "ema_decay": 0.99}' in train
    assert 'DOCS_PRESET = {"steps": 250}' in upsampling
    assert 'DOCS_PRESET = {"dataset": "digits", "image_size": 32, "width": 16, "batch_size": 64, "steps": 500, "ema_decay": 0.99}' in conditional
    dcgan, cgan = one_line(read(DCGAN)), one_line(read(CGAN))
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


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_shown_code_exists(lesson):
    check_literalincludes(lesson, at_least=5)


def test_references_are_accounted_for():
    check_references(
        DCGAN,
        own=[
            "PyTorchDCGAN", "Springenberg2015", "Dumoulin2016", "Ioffe2015", "Kingma2015", "Yazici2019", "Odena2016",
            "Shoemake1985", "White2016", "Pedregosa2011", "Alpaydin1998", "LeCun1998", "Xiao2017",
        ],
        cited_from_elsewhere=["Radford2016", "Karras2018"],
    )
    check_references(CGAN, own=["Mirza2014", "Miyato2018", "Odena2017"], cited_from_elsewhere=["Brock2019", "Salimans2016"])


@pytest.mark.parametrize(
    "lesson,label,dropdowns",
    [(DCGAN, "module-12-1-2-dcgan", 4), (CGAN, "module-12-1-3-conditional-gans", 4)],
    ids=["12_1_2", "12_1_3"],
)
def test_course_format(lesson, label, dropdowns):
    duration = re.search(r"^:Duration: (.*)$", read(lesson), re.M).group(1)  # someone else sets durations
    check_course_format(lesson, label, duration, "Intermediate", dropdowns)
