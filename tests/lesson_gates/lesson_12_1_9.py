"""Lesson 12.1.9 Style-Based Generators: the claims about the docs run of stylegan_lite.py.

Each gate backs sentences of the lesson that read the build's numbers; the margins say
how much a run may differ (another seed, another CPU kernel path) before a sentence
would turn false."""

from lesson_gates import Gate

SCRIPT = "stylegan_lite"


def _spreads(r):
    """The spread per psi, from psi = 1 down to 0 (records keep no order: sort by psi)."""
    return [float(v) for _, v in sorted(r["spreads"].items(), key=lambda kv: -float(kv[0]))]


def _spread(r, psi):
    return float(r["spreads"][psi])


def _shares(r):
    """The crossover measurement, from crossover num_ws (all styles from the first
    latent) down to 0 (all from the second)."""
    return [float(v) for _, v in sorted(r["crossover_share"].items(), key=lambda kv: -int(kv[0]))]


def _keeps(r):
    return {k: float(v) for k, v in r["crossover_keeps_digit"].items()}


def _keeps_ordered(r):
    """The share of mixes judged the first image's digit, crossover num_ws down to 0."""
    return [v for _, v in sorted(_keeps(r).items(), key=lambda kv: -int(kv[0]))]


def _pr(r, psi):
    return tuple(float(v) for v in r["precision_recall"][psi])


def _prs(r):
    """(precision, recall) per psi, from psi = 1 down to 0."""
    return [tuple(float(x) for x in v) for _, v in sorted(r["precision_recall"].items(), key=lambda kv: -float(kv[0]))]


GATES = [
    Gate(
        "12.1.9", SCRIPT,
        "mixing a latent with itself changes nothing, exactly, at every crossover",
        lambda r: r["mixing_identity_diff"] == 0.0,
        shows=("mixing_identity_diff",),
    ),
    Gate(
        "12.1.9", SCRIPT,
        "the spread falls at every step as psi goes from 1 to 0, where every latent gives one image",
        lambda r: sorted(r["spreads"], key=float) == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
        and all(a > b + 0.005 for a, b in zip(_spreads(r), _spreads(r)[1:]))
        and _spread(r, "0") < 1e-6,
        shows=("spreads",),
        doc="each step of psi lowers the spread by more than 0.005; psi = 0 leaves less than 1e-6",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "the spread does not fall in proportion to psi: first steps change little, last ones a lot",
        lambda r: _spread(r, "0.2") / _spread(r, "1") > 0.25
        and _spread(r, "0.8") / _spread(r, "1") > 0.85
        and (_spread(r, "1") - _spread(r, "0.8")) < 0.5 * (_spread(r, "0.2") - _spread(r, "0")),
        shows=("spread_share_psi_0_8", "spread_share_psi_0_2"),
        doc="psi = 0.2 keeps over 25% (proportional: 20%), psi = 0.8 over 85%, and the first "
        "step loses less than half of what the last one does",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "re-drawing the noise moves pixels far less than changing the latent does",
        lambda r: r["noise_ratio"] > 25,
        shows=("noise_change", "noise_spread", "noise_ratio"),
        doc="the spread across latents is more than 25 times the mean change the noise makes",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "the learned noise strengths stay small; a few pixels react to the noise, the average one over ten times less",
        lambda r: max(r["noise_strengths"]) < 0.05 and r["noise_std_max"] < 0.5 and r["noise_change"] < r["noise_std_max"] / 10,
        shows=("noise_strength_min", "noise_strength_max", "noise_std_max", "noise_change"),
        doc="every layer's mean |strength| below 0.05; the largest per-pixel std over 32 noise draws below 0.5 (pixels "
        "in [-1, 1]) and over ten times the mean change",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "the spread of 100 latents differs only a little from that of 500",
        lambda r: abs(r["noise_spread"] / _spread(r, "1") - 1) < 0.15,
        shows=("noise_spread", "spread_psi_1"),
    ),
    Gate(
        "12.1.9", SCRIPT,
        "D keeps an edge but never wins outright: averaged D(x) above 1/2, D(G(z)) below",
        lambda r: r["curve_d_real_min"] > 0.5
        and r["curve_d_fake_max"] < 0.5
        and r["curve_lowest"] > 0.03
        and r["curve_highest"] < 0.97,
        shows=("curve_d_real_min", "curve_d_fake_max", "curve_lowest", "curve_highest"),
        doc="25-step moving averages from the first report on: D(x) > 0.5 > D(G(z)), all in (0.03, 0.97)",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "the samples' background is as black as that of real digits",
        lambda r: abs(r["background_fake"] - r["background_real"]) < 0.05,
        shows=("background_real", "background_fake"),
        doc="the darker half of the generated pixels within 0.05 of the real digits' (pixels in [-1, 1])",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "the judge is sure of fewer samples than held-out real digits, but of over half as many; every digit drawn",
        lambda r: 0.5 * r["recognised_real"] < r["recognised"] < r["recognised_real"] and r["rarest_class_share"] >= 0.03
        and r["commonest_class_share"] <= 0.2 and r["judge_accuracy"] >= 0.95,
        shows=("recognised", "recognised_real", "recognised_ratio", "rarest_class_share", "commonest_class_share", "judge_accuracy"),
        doc="the issue's gate is 40% of real's; every class at least 3% of 1,000 samples, none over 20%",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "mixes move to the second image as the crossover falls; with styles 0 to 4 from the first latent they are nearer the first image",
        lambda r: all(a < b for a, b in zip(_shares(r), _shares(r)[1:]))
        and float(r["crossover_share"]["5"]) < 0.4 and float(r["crossover_share"]["6"]) < 0.4,
        shows=("crossover_share",),
        doc="over 100 pairs the share grows at every step of the crossover, and at crossover 5 "
        "(the 4x4, 8x8 and first 16x16 styles from the first latent) it is below 0.4",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "which digit: the 32x32 styles rarely change it, the 4x4 styles alone rarely decide it",
        lambda r: _keeps(r)["6"] > 0.7 and _keeps(r)["2"] < 0.2
        and all(a >= b for a, b in zip(_keeps_ordered(r), _keeps_ordered(r)[1:])),
        shows=("crossover_keeps_digit", "keeps_digit_6", "keeps_digit_2", "crossover_share_6"),
        doc="of mixes of two different digits, over 70% are judged the first image's digit with only the two 32x32 "
        "styles from the second (crossover 6), under 20% with only the 4x4 styles from the first (crossover 2); the share "
        "never rises as the crossover falls",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "truncation costs far more recall than it gains precision: from psi 1 to 0.4 recall falls to under 60%, by over twice any precision gain",
        lambda r: _pr(r, "0.4")[1] < 0.6 * _pr(r, "1")[1]
        and _pr(r, "1")[1] - _pr(r, "0.4")[1] > 2 * max(0.0, _pr(r, "0.4")[0] - _pr(r, "1")[0])
        and abs(_pr(r, "0.4")[0] - _pr(r, "1")[0]) < 0.2
        and all(a[1] > b[1] for a, b in zip(_prs(r), _prs(r)[1:-1])),
        shows=("precision_recall", "precision_psi_1", "recall_psi_1", "precision_psi_0_4", "recall_psi_0_4"),
        doc="recall at psi 0.4 under 60% of psi 1's and its loss over twice the precision gain; precision within 0.2 of "
        "psi 1's; recall falls at every step from psi 1 to 0.2 (precision rose by 0.01-0.13 on the six runs)",
    ),
]
