"""Lesson 12.1.7 (Evaluating GANs) says only what its script does.

The numbers of ``gan_metrics.py``'s docs run are not in the lesson: the build puts
them there (``.. build-output::`` blocks and ``:result:`` roles, checked against the
build by ``test_build_quotes.py``), and the sentences that interpret them rest on the
quality gates of ``tests/lesson_gates/lesson_12_1_7.py`` (checked on the build's records
by ``test_lesson_gates.py`` and over seeds and kernel paths by ``tests/robustness.py``).

The tests here need no training: no decimal number of the prose is a run's (only
settings, checked against the code), every ``:result:`` the lesson shows is recorded by
the script, the Quick Start shows the script and its build output, FID is called the
*squared* Fréchet distance, the presets the captions describe are the script's and the
recipes', every figure shown is drawn by the script (with a caption naming the docs
preset), the download and example links point at the gallery script, every flag
mentioned exists, every ``literalinclude`` finds what it includes, and the references
this lesson defines are defined nowhere else and cited here.  One slow test runs the
script with too few samples and checks the one-line error the lesson quotes.
"""

from __future__ import annotations

import inspect
import re

import pytest

from course import ROOT, run_script, script_path
from lesson_checks import (
    check_decimals_are_checked,
    check_defined_nowhere_else,
    check_downloads_and_example_links,
    check_flags_exist,
    check_literalincludes,
    constants,
    defined_references,
    directive_block,
    one_line,
    scripts_named,
    section,
    shown_figures,
)

LESSON = ROOT / "docs" / "12_1_7_evaluating_gans.rst"
SCRIPT = "gan_metrics"
DOCS = ("--preset", "docs")
OWN_REFERENCES = (
    "Dowson1982",
    "Szegedy2016",
    "Kynkaanniemi2019",
    "Binkowski2018",
    "Gretton2012",
    "Naeem2020",
    "Barratt2018",
    "Theis2016",
    "Borji2019",
    "Lucic2018",
    "Chong2020",
    "Parmar2022",
)
# cited here, defined with the references of other lessons
CITED_FROM_ELSEWHERE = ("Heusel2017", "Salimans2016")

# stderr of a run with too few samples for the 64 digit features: no number of a run,
# only sizes, so the lesson quotes it (and the slow test below checks the quote)
TOO_FEW = (
    "gan_metrics.py: error: 50 samples of 64-dimensional features give a singular covariance (rank < d = 64); "
    "use at least d + 1 = 65 samples, ideally many more (e.g. 10 x d = 640), or lower-dimensional features "
    "(see --samples, --real-images, --k, --sizes)"
)

# Decimal numbers of the lesson that are settings, not output, each checked against the
# code by a test below.
SETTINGS_IN_PROSE = {
    "0.99": "the docs DCGAN's moving-average decay (DCGAN_PRESETS['docs'].ema_decay)",
    "1.0": "--blur 1.0 in a command line, and the distance the nearest-neighbour check counts below",
    "0.5": "--noise 0.5 in a command line",
}


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# Numbers come from the build
# --------------------------------------------------------------------------------------
def test_every_decimal_number_of_the_prose_is_a_setting():
    """No number of a run is pasted: every decimal the lesson states before its
    references is a setting listed in SETTINGS_IN_PROSE (checked below)."""
    check_decimals_are_checked(LESSON, [], SETTINGS_IN_PROSE)


def test_the_lesson_pastes_no_output():
    text = lesson_text()
    assert ":class: expected-output" not in text
    assert text.count(".. build-output:: gan_metrics") >= 7


def recorded_names() -> set[str]:
    """The names ``gan_metrics.py`` records: literal ``record("name"`` calls, the
    ``record_metrics(prefix)`` rows (one name per metric) and f-string names."""
    source = script_path(SCRIPT).read_text(encoding="utf-8")
    names = set(re.findall(r'record\("(\w+)"', source))
    metrics = ("fid", "kid", "kid_std", "precision", "recall", "is")
    prefixes = set(re.findall(r'record_metrics\("(\w+)"', source))
    prefixes |= {f"case_{short}" for short in re.findall(r'": "(\w+)"', source.split("short = {")[1].split("}")[0])}
    names |= {f"{p}_{m}" for p in prefixes for m in metrics}
    names |= {f"{kind}_{key}" for kind in ("nearest", "closer") for key in ("held", "dcgan", "copies")}
    return names


def test_every_result_the_lesson_shows_is_recorded_by_the_script():
    shown = set(re.findall(r":result:`(\w+)\.(\w+)`", lesson_text()))
    assert shown and {script for script, _ in shown} == {SCRIPT}
    missing = {name for _, name in shown} - recorded_names()
    assert not missing, f"the lesson shows results gan_metrics.py does not record: {sorted(missing)}"


def test_every_result_is_shown_outside_inline_literals():
    for literal in re.findall(r"``[^`]*``", lesson_text()):
        assert ":result:" not in literal, literal


def test_quick_start_shows_the_script_and_the_training_table():
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    first = re.search(r"literalinclude:: /gallery/12_1_7_evaluating_gans/(\w+)\.py", quick)
    assert first and first.group(1) == SCRIPT
    assert ".. build-output:: gan_metrics\n   :start-at: DCGAN of lesson 12.1.2" in quick


# --------------------------------------------------------------------------------------
# Corrections
# --------------------------------------------------------------------------------------
def test_fid_is_called_the_squared_frechet_distance():
    """FID is the *squared* 2-Wasserstein (Fréchet) distance between the two Gaussians,
    in the lesson and in the docstrings of the functions that compute it."""
    from modules.evaluation import feature_metrics as evaluation

    concept = one_line(section(lesson_text(), "Concept 2: The Fréchet Inception Distance", "Concept 3:"))
    assert "fréchet (2-wasserstein) distance :math:`d` has a closed form [dowson1982]_, and fid is its *square*, :math:`d^2`" in concept
    assert not re.search(r"the fréchet (\(2-wasserstein\) )?distance has a closed form", concept)
    for function in (evaluation.frechet_distance, evaluation.frechet_distance_from_statistics):
        doc = one_line(function.__doc__)
        assert doc.startswith("the *squared* fréchet (2-wasserstein) distance"), function.__name__
    assert "squared fréchet" in one_line(evaluation.__doc__)


@pytest.mark.slow
def test_too_few_samples_stop_with_one_line():
    """``--samples 50`` with 64 digit features: the quoted line on stderr, exit status 2,
    before any training (no table printed)."""
    assert TOO_FEW in lesson_text()
    run = run_script(SCRIPT, *DOCS, "--samples", "50")
    assert run.returncode == 2
    assert run.stderr.strip() == TOO_FEW
    assert "DCGAN of lesson" not in run.stdout and "Traceback" not in run.stderr


# --------------------------------------------------------------------------------------
# Settings, figures, links, flags, includes, references
# --------------------------------------------------------------------------------------
def test_lesson_states_the_presets_the_script_and_recipes_have():
    """The captions and the prose describe the script's and the recipes' real presets."""
    from modules.experiments.dcgan import CONDITIONAL_PRESETS, DCGAN_PRESETS

    values = constants(SCRIPT)
    assert values["DOCS_PRESET"] == {
        "features": "digits",
        "samples": 1000,
        "real_images": 2000,
        "kid_subsets": 50,
        "kid_subset_size": 500,
        "sizes": [100, 200, 400, 800],
        "repeats": 50,
    }
    assert (values["FEATURES"], values["SAMPLES"], values["REAL_IMAGES"], values["K"]) == ("inception", 10000, 20000, 3)
    assert (values["KID_SUBSETS"], values["KID_SUBSET_SIZE"]) == (100, 1000)
    assert (values["BLUR"], values["NOISE"], values["SEED"]) == (2.0, 1.0, 0)
    docs, cdocs = DCGAN_PRESETS["docs"], CONDITIONAL_PRESETS["docs"]
    assert (docs.dataset, docs.image_size, docs.steps, docs.ema_decay) == ("digits", 32, 1000, 0.99)
    assert cdocs.conditional and cdocs.steps == 500 and cdocs.dataset == "digits"
    full, cfull = DCGAN_PRESETS["full"], CONDITIONAL_PRESETS["full"]
    assert (full.dataset, full.image_size, full.steps) == ("mnist", 64, 3000)
    assert cfull.conditional and cfull.steps == 3000
    text = one_line(lesson_text())
    for said in (
        "docs preset: digit-classifier features, scikit-learn digits at 32x32, dcgan trained for 1,000 steps, 1,000 generated samples per evaluation",
        "docs preset: digit-classifier features, scikit-learn digits at 32x32, 898 images per case at most",
        "docs preset: scikit-learn digits at 32x32, 898 images per set, dcgan trained for 1,000 steps",
        "(mean and standard deviation over 50 draws per size). docs preset: digit-classifier features, scikit-learn digits, sample sizes 100, 200, 400 and 800",
        "the docs preset compares 1,000 generated images per evaluation with all 1,797 of scikit-learn's digits, at 32x32, through the digit classifier's 64 features",
        "the full preset compares 10,000 generated images with up to 20,000 mnist images through inception's 2,048 features",
        "the moving average of them, which the docs preset keeps with decay 0.99",
        "the conditional gan trained for 500 steps, the dcgan for 1,000",
        "in the full preset both train for 3,000 steps on mnist",
        "both generators train for 3,000 steps on mnist at 64x64 and are scored with inception features on 10,000 samples",
        "the script draws 50 such pairs for each of four sizes",
        "(100 samples of each class)",
        "a gaussian blur of standard deviation 2 pixels (``--blur``)",
        "gaussian noise of standard deviation 1 to images in [-1, 1] (``--noise``)",
        "keeps only the digits 0 to 4",
        "(:math:`k` = 3 by default)",
    ):
        assert said in text, said


def test_lesson_states_the_settings_the_code_uses():
    """Settings of modules.evaluation.feature_metrics the prose states."""
    from modules.evaluation import feature_metrics as evaluation
    from modules.evaluation.feature_metrics import FEATURE_EXTRACTORS, frechet_distance, inception_score, precision_recall

    assert inspect.signature(frechet_distance).parameters["eps"].default == 1e-6
    assert inspect.signature(precision_recall).parameters["k"].default == 3
    assert inspect.signature(inception_score).parameters["splits"].default == 10
    source = inspect.getsource(evaluation)
    assert "(x @ y.T / x.shape[1] + 1).pow(3)" in source  # (x . y / d + 1)^3
    assert "torch.linalg.eigh(cov_a)" in source and "torch.linalg.eigvalsh(middle)" in source
    assert 'size=(299, 299), mode="bilinear"' in source
    assert "64 features" in FEATURE_EXTRACTORS["digits"] and "2,048 features" in FEATURE_EXTRACTORS["inception"]
    text = one_line(lesson_text())
    for said in (
        ":math:`\\varepsilon` = 1e-6",
        "it is computed on 10 parts (\"splits\") of the samples",
        "the cubic polynomial kernel :math:`k(x, y) = (x^\\top y / d + 1)^3`",
        "images are resized to 299x299",
        "the 64 features of its last hidden layer",
        "the 2,048 features of its last pooling layer and its 1,000 imagenet classes",
    ):
        assert said in text, said
    assert set(SETTINGS_IN_PROSE) == {"0.99", "1.0", "0.5"}
    assert "--blur 1.0 --noise 0.5" in lesson_text()


def test_every_figure_shown_is_drawn_by_the_script():
    """The four figures are drawn by gan_metrics.py: each through a plotting function of
    modules.figures.plotting whose default label is the figure's label (the script passes no
    other), with a caption that names the docs preset."""
    from modules.figures import plotting

    drawers = {
        "metrics_over_training": "plot_metrics_over_training",
        "metric_cases": "plot_metric_cases",
        "nearest_training_image": "plot_distance_histograms",
        "sample_size_bias": "plot_sample_size_bias",
    }
    refs = shown_figures(lesson_text())
    assert sorted(label for _, _, label in refs) == sorted(drawers)
    source = script_path(SCRIPT).read_text(encoding="utf-8")
    for folder, script, label in refs:
        assert folder == LESSON.stem and script == SCRIPT
        function = drawers[label]
        assert inspect.signature(getattr(plotting, function)).parameters["label"].default == label
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
        must_mention=("--preset", "--features", "--samples", "--real-images", "--k", "--kid-subsets", "--kid-subset-size", "--sizes", "--repeats", "--blur", "--noise", "--seed"),
    )


def test_literalincludes_find_what_they_include():
    includes = check_literalincludes(LESSON, at_least=12)
    targets = {target for target, _ in includes}
    assert {"/gallery/12_1_7_evaluating_gans/gan_metrics.py", "/modules/evaluation/feature_metrics.py", "/modules/game/loop.py"} <= targets


def test_references_defined_here_are_defined_nowhere_else():
    text = lesson_text()
    assert defined_references(text) == set(OWN_REFERENCES)
    check_defined_nowhere_else(LESSON, OWN_REFERENCES)
    body = text.split("\nReferences\n==========")[0]
    for label in OWN_REFERENCES:
        assert f"[{label}]_" in body, f"{label} is defined but never cited in the text"
    for label in CITED_FROM_ELSEWHERE:
        assert f"[{label}]_" in text
        assert any(f".. [{label}]" in other.read_text(encoding="utf-8") for other in (ROOT / "docs").glob("*.rst") if other != LESSON), label
    for label in set(re.findall(r"\[(\w+)\]_", text)):
        assert label in OWN_REFERENCES or label in CITED_FROM_ELSEWHERE, f"{label} is cited but not accounted for"
