"""Lesson 12.1.7 (Evaluating GANs) says only what its script does.

The numbers of ``gan_metrics.py``'s docs run are not in the lesson: the build puts
them there (``.. build-output::`` blocks and ``:result:`` roles, checked against the
build by ``test_build_quotes.py``), and the sentences that interpret them rest on the
quality gates of ``tests/lesson_gates/lesson_12_1_7.py``.  What every lesson is checked
for (no pasted output, results the script records, known decimals, the Quick Start,
figures, links, flags, included code, references, format) is in
``test_lesson_claims.py``.  Here, what only this lesson claims: the Quick Start shows
the training table, FID is called the *squared* Fréchet distance, the presets the
captions describe are the script's and the recipes', the settings the prose states are
the code's (and the code computes what the prose says), and one slow test runs the
script with too few samples and checks the one-line error the lesson quotes.
"""

from __future__ import annotations

import inspect
import re

import pytest

from course import ROOT, run_script
from lesson_checks import constants, names_used, one_line, section

LESSON = ROOT / "docs" / "12_1_7_evaluating_gans.rst"
SCRIPT = "gan_metrics"
DOCS = ("--preset", "docs")
# stderr of a run with too few samples for the 64 digit features: no number of a run,
# only sizes, so the lesson quotes it (and the slow test below checks the quote)
TOO_FEW = (
    "gan_metrics.py: error: 50 samples of 64-dimensional features give a singular covariance (rank < d = 64); "
    "use at least d + 1 = 65 samples, ideally many more (e.g. 10 x d = 640), or lower-dimensional features "
    "(see --samples, --real-images, --k, --sizes)"
)


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# The Quick Start
# --------------------------------------------------------------------------------------
def test_quick_start_shows_the_training_table():
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
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
        "real_images": 1000,
        "kid_subsets": 50,
        "kid_subset_size": 500,
        "sizes": [100, 200, 300, 500],
        "repeats": 100,
    }
    assert (values["FEATURES"], values["SAMPLES"], values["REAL_IMAGES"], values["K"]) == ("inception", 10000, 10000, 3)
    assert (values["KID_SUBSETS"], values["KID_SUBSET_SIZE"]) == (100, 1000)
    # each preset's FID-bias sizes fit its real images: two disjoint sets of the largest size
    # (MNIST has 10,000 test digits, mnist-5k 1,000 held-out digits)
    full_sizes = [int(s) for s in values["SIZES"].split(",")]
    assert 2 * max(full_sizes) <= values["REAL_IMAGES"] <= 10000
    assert 2 * max(values["DOCS_PRESET"]["sizes"]) <= values["DOCS_PRESET"]["real_images"] <= 1000
    assert (values["BLUR"], values["NOISE"], values["SEED"]) == (2.0, 1.0, 0)
    docs, cdocs = DCGAN_PRESETS["docs"], CONDITIONAL_PRESETS["docs"]
    assert (docs.dataset, docs.image_size, docs.steps, docs.ema_decay) == ("mnist-5k", 32, 1000, 0.99)
    assert cdocs.conditional and cdocs.steps == 1000 and cdocs.dataset == "mnist-5k"
    full, cfull = DCGAN_PRESETS["full"], CONDITIONAL_PRESETS["full"]
    assert (full.dataset, full.image_size, full.steps) == ("mnist", 64, 3000)
    assert cfull.conditional and cfull.steps == 3000
    text = one_line(lesson_text())
    for said in (
        "docs preset: digit-classifier features, held-out mnist-5k digits at 32x32, dcgan trained for 1,000 steps, 1,000 generated samples per evaluation",
        "docs preset: digit-classifier features, held-out mnist-5k digits at 32x32, 500 images per case at most",
        "docs preset: mnist-5k digits at 32x32, 500 images per set against the dcgan's 4,000 training digits, dcgan trained for 1,000 steps",
        "(mean and standard deviation over 100 draws per size). docs preset: digit-classifier features, held-out mnist-5k digits, sample sizes 100, 200, 300 and 500",
        "the docs preset compares 1,000 generated images per evaluation with the 1,000 held-out digits of ``mnist-5k``, at 32x32, through the digit classifier's 64 features",
        "the full preset compares 10,000 generated images with mnist's 10,000 test digits through inception's 2,048 features",
        "the moving average of them, which the docs preset keeps with decay 0.99",
        "in the full preset both train for 3,000 steps on mnist",
        "both generators train for 3,000 steps on mnist at 64x64 and are scored with inception features on 10,000 samples",
        "the script draws 100 such pairs for each of four sizes",
        "(100 samples of each class)",
        "a gaussian blur of standard deviation 2 pixels (``--blur``)",
        "gaussian noise of standard deviation 1 to images in [-1, 1] (``--noise``)",
        "keeps only the digits 0 to 4",
        "(:math:`k` = 3 by default)",
    ):
        assert said in text, said


def test_lesson_states_the_settings_the_code_uses():
    """Settings of modules.evaluation.feature_metrics the prose states, and what its
    code computes: KID's cubic kernel, FID's matrix square root through symmetric
    eigendecompositions only, Inception's input resized to 299x299 (bilinear)."""
    import scipy.linalg
    import torch
    import torch.nn.functional as F

    from modules.evaluation import feature_metrics as evaluation
    from modules.evaluation.feature_metrics import FEATURE_EXTRACTORS, frechet_distance, inception_score, precision_recall
    from lesson_specs import BY_STEM

    assert inspect.signature(frechet_distance).parameters["eps"].default == 1e-6
    assert inspect.signature(precision_recall).parameters["k"].default == 3
    assert inspect.signature(inception_score).parameters["splits"].default == 10
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(5, 8, generator=gen, dtype=torch.float64), torch.randn(7, 8, generator=gen, dtype=torch.float64)
    assert torch.allclose(evaluation._polynomial_kernel(x, y), (x @ y.T / 8 + 1) ** 3)  # (x . y / d + 1)^3
    a, b = (torch.randn(40, 6, generator=gen, dtype=torch.float64) for _ in range(2))
    cov_a, cov_b = a.T @ a / 40, b.T @ b / 40
    expected = float(scipy.linalg.sqrtm((cov_a @ cov_b).numpy()).real.trace())
    assert abs(evaluation._trace_sqrt_product(cov_a, cov_b).item() - expected) < 1e-8
    assert {"eigh", "eigvalsh"} <= names_used(evaluation._trace_sqrt_product) and "sqrtm" not in names_used(evaluation)
    inception = object.__new__(evaluation.InceptionFeatures)  # no weights needed to prepare its input
    inception.device = "cpu"
    images = torch.rand(2, 1, 32, 32, generator=gen) * 2 - 1
    prepared = inception._prepare(images)
    assert prepared.shape == (2, 3, 299, 299)
    assert torch.allclose(prepared, F.interpolate(images.expand(-1, 3, -1, -1), size=(299, 299), mode="bilinear", align_corners=False))
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
    assert set(BY_STEM[LESSON.stem].decimals) == {"0.99", "1.0", "0.5"}
    assert "--blur 1.0 --noise 0.5" in lesson_text()


