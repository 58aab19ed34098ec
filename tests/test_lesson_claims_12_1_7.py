"""Lesson 12.1.7 (Evaluating GANs) says only what its script does.

* Every number the lesson reports from a run is a verbatim quote of what the docs
  preset of ``gan_metrics.py`` prints.  :data:`PROSE_CLAIMS` lists each quote; the slow
  test runs the script once (in the session's fresh model cache, so it trains the digit
  classifier and both GANs) and checks that every quote is both in the lesson and in
  the output.  It also checks what the prose concludes from the numbers (which metric
  sees which flaw, FID's bias, KID's lack of it) on the parsed output, and the one-line
  error of a too-small ``--samples``.
* The fast tests need no training: every quote is still in the lesson, every number
  of the prose is part of a checked quote (or a setting checked against the code),
  every expected-output block is a checked quote, the presets the captions describe are
  the script's and the recipes', every figure shown is drawn by the script (with a
  caption naming the docs preset), the download and example links point at the gallery
  script, every flag mentioned exists, every ``literalinclude`` finds what it includes,
  and the references this lesson defines are defined nowhere else and cited here.
"""

from __future__ import annotations

import inspect
import re

import pytest

from conftest import ROOT, run_script, script_path
from lesson_checks import (
    block,
    check_defined_nowhere_else,
    check_downloads_and_example_links,
    check_expected_outputs_are_quotes,
    check_flags_exist,
    check_literalincludes,
    check_quote_is_in_lesson,
    check_quote_is_printed,
    claim_id,
    constants,
    defined_references,
    directive_block,
    expected_output_blocks,
    normalised,
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

HEADER = "                              FID       KID  precision  recall     IS"
SETUP = (
    "preset=docs features=digits samples=1000 k=3 device=cpu",
    "real data: digits, 1797 of 1797 images 32x32; 64 features per image",
)
FLOOR_ROW = "real vs real (898 each)      5.92     26.48      0.911   0.941   8.73"
TRAINING = (
    "DCGAN of lesson 12.1.2 (1000 samples at each step)",
    "step                          FID       KID  precision  recall     IS",
    "0                         1326.71  10770.87      0.000   0.000   1.00",
    "125                       1249.16  10647.28      0.000   0.000   1.02",
    "250                       1214.65  10537.59      0.000   0.000   1.04",
    "375                       1214.59  10163.29      0.000   0.000   1.00",
    "500                       1176.45  10333.66      0.000   0.000   1.04",
    "625                        516.68   7365.94      0.002   0.000   2.14",
    "750                        159.51   3031.84      0.202   0.159   4.10",
    "875                         77.48   1272.02      0.379   0.437   4.73",
    "1000                        57.63    744.29      0.406   0.585   5.03",
)
FINAL = (
    "final generators (1000 and 500 steps)",
    HEADER,
    "DCGAN                       57.63    744.29      0.406   0.585   5.03",
    "conditional DCGAN           13.00     67.11      0.643   0.654   8.45",
)
CASES = (
    "constructed cases, against the 898 'training' images",
    HEADER,
    "held-out real                5.92     15.58      0.941   0.911   8.72",
    "half the classes           103.97   1047.75      0.964   0.518   4.78",
    "half junk                   72.81    960.88      0.590   0.910   6.68",
    "blurred                     68.44   1681.73      0.745   0.196   7.65",
    "noisy                      122.82   1852.20      0.537   0.284   6.27",
    "copies of training set       0.00    -50.08      1.000   1.000   8.73",
)
NEAREST = (
    "median Euclidean distance to the nearest 'training' image (all pixel values, images in [-1, 1]):",
    "  held-out real            6.35   (share closer than 1.0: 0.0%)",
    "  DCGAN samples            9.51   (share closer than 1.0: 0.0%)",
    "  copies of training set   0.00   (share closer than 1.0: 100.0%)",
)
BIAS = (
    "real vs real at growing sample size (50 draws each): mean +- std over the draws [standard error of the mean]",
    "  N =   100: FID   40.80 +-  13.43 [ 1.90]   KID    -53.34 +-   213.12 [ 30.14]",
    "  N =   200: FID   21.47 +-   5.41 [ 0.77]   KID      1.20 +-   104.93 [ 14.84]",
    "  N =   400: FID   11.38 +-   3.36 [ 0.47]   KID     12.53 +-    61.58 [  8.71]",
    "  N =   800: FID    5.10 +-   1.24 [ 0.18]   KID     -4.89 +-    20.73 [  2.93]",
)
# stderr of a run with too few samples for the 64 digit features (checked by its own test)
TOO_FEW = (
    "gan_metrics.py: error: 50 samples of 64-dimensional features give a singular covariance (rank < d = 64); "
    "use at least d + 1 = 65 samples, ideally many more (e.g. 10 x d = 640), or lower-dimensional features "
    "(see --samples, --real-images, --k, --sizes)"
)

def lines(*printed: str) -> str:
    return "\n".join(printed)


PROSE_CLAIMS = [
    # (script, its arguments, text quoted verbatim in the lesson and printed by the run)
    # -- Quick Start: the DCGAN over training
    (SCRIPT, DOCS, block(*TRAINING)),
    # -- Exercise 1: the set-up, the real-vs-real floor, single rows and cells
    (SCRIPT, DOCS, SETUP[0]),
    (SCRIPT, DOCS, SETUP[1]),
    (SCRIPT, DOCS, block(HEADER, FLOOR_ROW)),
    (SCRIPT, DOCS, FLOOR_ROW),
    (SCRIPT, DOCS, TRAINING[-1]),
    (SCRIPT, DOCS, "0.000   0.000   1.00"),
    (SCRIPT, DOCS, "0.002   0.000   2.14"),
    # -- Exercise 2: the two final generators
    (SCRIPT, DOCS, block(*FINAL)),
    # -- Exercise 3: the constructed cases
    (SCRIPT, DOCS, block(*CASES)),
    # -- Exercise 4: the nearest training image
    (SCRIPT, DOCS, block(*NEAREST)),
    # -- Exercise 5: FID and KID at growing sample size
    (SCRIPT, DOCS, block(*BIAS)),
    # -- Exercise 6: the two halves in the two orders
    (SCRIPT, DOCS, "0.911   0.941"),
    (SCRIPT, DOCS, "0.941   0.911"),
]

# Numbers the prose states from the run without quoting a whole line: (text in the
# lesson, the printed text it restates).  The printed text must be part of a checked
# quote, and every decimal number of the statement must be in it.
PROSE_NUMBERS = [
    # Exercise 1
    ("FID only drifts from 1326.71 to 1176.45", lines(TRAINING[2], TRAINING[6])),
    ("FID 516.68 at step 625, 159.51 at step 750, 57.63 at step 1000", lines(TRAINING[7], TRAINING[8], TRAINING[10])),
    ("Precision and recall are ``0.000`` through step 500", "0.000   0.000"),
    ("The IS of ``1.00`` to ``1.04``", lines(TRAINING[2], TRAINING[4])),
    ("Precision appears first (``0.002`` at step 625)", TRAINING[7]),
    # Exercise 2
    ("FID 13.00 against 57.63, KID 67.11 against 744.29", lines(FINAL[2], FINAL[3])),
    ("better precision (0.643 against 0.406) and recall (0.654 against 0.585)", lines(FINAL[2], FINAL[3])),
    ("an IS of 8.45 against 5.03, close to the real images' 8.73", lines(FINAL[2], FINAL[3], FLOOR_ROW)),
    # Exercise 3
    ("``half the classes`` has precision 0.964 and recall 0.518", CASES[3]),
    ("``half junk`` is the mirror image, precision 0.590 and recall 0.910", CASES[4]),
    ("recall does not notice the junk at all (0.910 against the held-out set's 0.911)", lines(CASES[4], CASES[2])),
    ("copies (0.00), held-out real (5.92), blurred (68.44), half junk (72.81), half the classes (103.97), noisy (122.82)", "\n".join(CASES)),
    ("``blurred`` 0.745 and 0.196, ``noisy`` 0.537 and 0.284", lines(CASES[5], CASES[6])),
    ("``blurred`` keeps an IS of 7.65, not far below the held-out set's 8.72, although its FID is 68.44 and its recall 0.196", lines(CASES[5], CASES[2])),
    ("``half the classes`` scores 4.78", CASES[3]),
    ("FID 0.00, precision and recall 1.000", CASES[7]),
    ("The KID of -50.08 is the only hint", CASES[7]),
    # Exercise 4
    ("The copies sit at a median distance of 0.00 from the training set, all of them closer than 1.0", NEAREST[3]),
    ("a median 6.35 away from their nearest training image, and none is closer than 1.0", NEAREST[1]),
    ("The DCGAN's samples are a median 9.51 from the nearest training image", NEAREST[2]),
    # Exercise 5
    ("The mean FID is 40.80 at N = 100, 21.47 at 200, 11.38 at 400 and 5.10 at 800", "\n".join(BIAS)),
    ("KID's means, -53.34, 1.20, 12.53 and -4.89, are each within about two standard errors of 0 (30.14, 14.84, 8.71 and 2.93)", "\n".join(BIAS)),
    ("at N = 100 the standard deviation over draws is 213.12", BIAS[1]),
    ("the bias experiment gives 5.10 at 800 images per set, so the floor of 5.92 at 898", lines(BIAS[4], FLOOR_ROW)),
    ("The DCGAN's 57.63 and the conditional DCGAN's 13.00", lines(FINAL[2], FINAL[3])),
    ("small next to 57.63, not small next to the gap between 13.00 and the floor", lines(FINAL[2], FINAL[3])),
    # Exercise 6
    ("FID is symmetric and gives 5.92 both times", lines(FLOOR_ROW, CASES[2])),
    ("The KIDs differ (26.48 against 15.58)", lines(FLOOR_ROW, CASES[2])),
]

# Decimal numbers of the lesson that are settings, not output, each checked against the
# code by a test below.
SETTINGS_IN_PROSE = {
    "0.99": "the docs DCGAN's moving-average decay (DCGAN_PRESETS['docs'].ema_decay)",
    "1.0": "--blur 1.0 in a command line (and the printed 'closer than 1.0')",
    "0.5": "--noise 0.5 in a command line",
}


def lesson_text() -> str:
    return LESSON.read_text(encoding="utf-8")


def flat(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------
# The slow checks: the quotes are what the script prints, and the conclusions hold
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def metrics_run():
    """The docs-preset run, once per module, with room for training both GANs and the
    classifier from scratch on a busy machine."""
    cache = {}

    def get(name: str, *args: str):
        key = (name, *args)
        if key not in cache:
            cache[key] = run_script(name, *args, timeout=1500)
        return cache[key]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_lesson_quotes_what_the_script_prints(metrics_run, script, args, quoted):
    check_quote_is_printed(metrics_run, LESSON, script, args, quoted)


NUMBER = r"-?\d+\.\d+"


def table_rows(stdout: str) -> dict[str, list[float]]:
    """``name -> [FID, KID, precision, recall, IS]`` of every metrics row printed (the
    DCGAN's steps are named by their step number)."""
    rows = {}
    for line in stdout.splitlines():
        m = re.fullmatch(rf"(.+?)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})", line.strip())
        if m:
            rows[m.group(1)] = [float(v) for v in m.groups()[1:]]
    return rows


def nearest_medians(stdout: str) -> dict[str, float]:
    found = re.findall(rf"^  (.+?)\s+({NUMBER})   \(share closer than", stdout, re.M)
    return {name.strip(): float(value) for name, value in found}


def bias_rows(stdout: str) -> dict[int, tuple[float, float, float, float, float, float]]:
    """``N -> (FID mean, std, se, KID mean, std, se)`` of the sample-size experiment."""
    pattern = rf"N =\s+(\d+): FID\s+({NUMBER}) \+-\s+({NUMBER}) \[\s*({NUMBER})\]\s+KID\s+({NUMBER}) \+-\s+({NUMBER}) \[\s*({NUMBER})\]"
    return {int(m[0]): tuple(float(v) for v in m[1:]) for m in re.findall(pattern, stdout)}


@pytest.mark.slow
def test_what_the_lesson_concludes_holds_in_the_run(metrics_run):
    run = metrics_run(SCRIPT, *DOCS)
    assert run.returncode == 0, run.stderr
    rows = table_rows(run.stdout)
    fid, kid, precision, recall, is_ = range(5)
    # the DCGAN: flat through step 500 (the phase where D wins), then a fall to below a
    # tenth of its starting FID
    steps = [s for s in ("0", "125", "250", "375", "500", "625", "750", "875", "1000") if s in rows]
    assert len(steps) == 9, sorted(rows)
    assert rows["1000"][fid] < rows["0"][fid] / 10
    assert rows["1000"][fid] < rows["0"][fid] / 20  # "more than a factor of 20"
    assert all(rows[s][fid] > 0.85 * rows["0"][fid] for s in ("125", "250", "375", "500"))
    assert all(rows[s][precision] == 0 and rows[s][recall] == 0 for s in ("0", "125", "250", "375", "500"))
    assert all(rows[s][kid] > 10000 for s in ("0", "125", "250", "375", "500"))
    assert rows["625"][fid] < rows["500"][fid] / 2
    # the conditional DCGAN beats the DCGAN on every metric
    dcgan, cgan = rows["DCGAN"], rows["conditional DCGAN"]
    assert cgan[fid] < dcgan[fid] and cgan[kid] < dcgan[kid]
    assert cgan[precision] > dcgan[precision] and cgan[recall] > dcgan[recall] and cgan[is_] > dcgan[is_]
    # which metric sees which flaw
    held_out = rows["held-out real"]
    half_classes, junk = rows["half the classes"], rows["half junk"]
    assert half_classes[precision] > 0.9 and half_classes[recall] < 0.6
    assert junk[precision] < 0.7 and junk[recall] > 0.85
    assert half_classes[fid] > rows["blurred"][fid]  # dropping classes costs more FID than blur
    for damaged in ("blurred", "noisy"):
        assert rows[damaged][precision] < held_out[precision] and rows[damaged][recall] < held_out[recall]
    assert held_out[is_] - rows["blurred"][is_] < 1.5  # IS barely notices blur
    assert 4.5 < half_classes[is_] <= 5.0  # about 5 classes of 10
    # the copier is "perfect", and only the nearest-neighbour check catches it
    copies = rows["copies of training set"]
    assert copies[fid] == 0.0 and copies[precision] == copies[recall] == 1.0
    medians = nearest_medians(run.stdout)
    assert medians["copies of training set"] == 0.0
    assert medians["held-out real"] > 1 and medians["DCGAN samples"] > medians["held-out real"]
    # the same two halves in the two orders: FID symmetric, precision and recall swapped
    floor = rows["real vs real (898 each)"]
    assert floor[fid] == held_out[fid]
    assert (floor[precision], floor[recall]) == (held_out[recall], held_out[precision])
    # FID's bias falls with N; KID's means stay within 3 standard errors of 0
    bias = bias_rows(run.stdout)
    sizes = sorted(bias)
    assert sizes == [100, 200, 400, 800]
    fids = [bias[n][0] for n in sizes]
    assert all(a > b for a, b in zip(fids, fids[1:])), fids
    assert all(4000 <= n * bias[n][0] <= 4600 for n in sizes)  # "N x FID between about 4,000 and 4,600"
    for n in sizes:
        kid_mean, kid_se = bias[n][3], bias[n][5]
        assert abs(kid_mean) <= 3 * kid_se, (n, kid_mean, kid_se)


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
# Fast checks of the lesson side
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("script,args,quoted", PROSE_CLAIMS, ids=[claim_id(c) for c in PROSE_CLAIMS])
def test_claims_are_quoted_in_the_lesson(script, args, quoted):
    check_quote_is_in_lesson(LESSON, script, quoted)


@pytest.mark.parametrize("said,printed", PROSE_NUMBERS)
def test_numbers_in_the_prose_restate_quoted_lines(said, printed):
    assert said in flat(lesson_text()), f"{LESSON.name} no longer says {said!r}"
    quoted = [normalised(q) for _, _, q in PROSE_CLAIMS]
    for line in printed.splitlines():
        assert any(normalised(line) in q for q in quoted), f"{line!r} is not part of a checked quote"
    numbers = re.findall(NUMBER, said)
    assert numbers, said
    for number in numbers:
        assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", printed), f"{number} of {said!r} is not in {printed!r}"
        assert any(number in q for q in quoted)


def test_every_decimal_number_of_the_prose_is_checked():
    """Every decimal number the lesson states before its references is part of a
    checked quote, or a setting listed in SETTINGS_IN_PROSE (checked below)."""
    text = lesson_text().split("\nReferences\n==========")[0]
    quoted = " ".join(q for _, _, q in PROSE_CLAIMS)
    printed_numbers = set(re.findall(r"(?<![\d.])-?\d+\.\d+(?![\d.])", quoted))
    for number in set(re.findall(r"(?<![\w.])-?\d+\.\d+(?![\d.])", text)):
        assert number in printed_numbers or number in SETTINGS_IN_PROSE, f"{number} is neither a checked quote nor a known setting"


def test_numbers_derived_from_printed_ones():
    """Statements the prose works out from the output rather than quoting it."""
    text = flat(lesson_text())
    first, last = float(TRAINING[2].split()[1]), float(TRAINING[10].split()[1])
    assert first / last > 20 and "FID falls by more than a factor of 20 over the run" in text
    kids = [float(line.split()[2]) for line in TRAINING[2:7]]
    assert min(kids) > 10000 and "KID stays above 10,000" in text
    bias = {int(m[0]): float(m[1]) for m in re.findall(r"N =\s+(\d+): FID\s+([\d.]+)", "\n".join(BIAS))}
    assert all(4000 <= n * f <= 4600 for n, f in bias.items())
    assert "N × FID stays between about 4,000 and 4,600" in text
    kid_100 = re.search(r"KID\s+(-?[\d.]+) \+-\s+([\d.]+)", BIAS[1])
    mean, std = float(kid_100[1]), float(kid_100[2])
    assert round(std / abs(mean)) == 4 and "four times the mean's distance from 0" in text
    for line in BIAS[1:]:
        m = re.search(r"KID\s+(-?[\d.]+) \+-\s+[\d.]+ \[\s*([\d.]+)\]", line)
        assert abs(float(m[1])) <= 2 * float(m[2])
    assert "within about two standard errors of 0" in text
    assert float(FINAL[3].split()[-1]) > float(FINAL[2].split()[-1])
    assert 898 == 1797 // 2 and "(898 each)" in FLOOR_ROW


def test_expected_output_blocks_are_checked_claims():
    """Every expected-output block of the lesson is, in full, one of the checked quotes."""
    check_expected_outputs_are_quotes(LESSON, [quoted for _, _, quoted in PROSE_CLAIMS], exactly=6)


def test_quick_start_shows_the_script_and_the_training_table():
    """The site test compares the Quick Start's expected output up to its first blank line."""
    quick = section(lesson_text(), "Quick Start", "Core Concepts")
    first = re.search(r"literalinclude:: /gallery/12_1_7_evaluating_gans/(\w+)\.py", quick)
    assert first and first.group(1) == SCRIPT
    assert "python gan_metrics.py --preset docs" in quick
    found = expected_output_blocks(quick)
    assert found and normalised(found[0]) == normalised(block(*TRAINING))


def test_lesson_states_the_presets_the_script_and_recipes_have():
    """The captions and the prose describe the script's and the recipes' real presets."""
    from modules.recipes import CONDITIONAL_PRESETS, DCGAN_PRESETS

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
    """Settings of modules.evaluation the prose states."""
    from modules import evaluation
    from modules.evaluation import FEATURE_EXTRACTORS, frechet_distance, inception_score, precision_recall

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
    modules.plotting whose default label is the figure's label (the script passes no
    other), with a caption that names the docs preset."""
    from modules import plotting

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
    assert {"/gallery/12_1_7_evaluating_gans/gan_metrics.py", "/modules/evaluation.py", "/modules/training.py"} <= targets


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
