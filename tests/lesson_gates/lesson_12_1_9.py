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
        "the learned noise strengths stay tiny, close to their start at 0",
        lambda r: max(r["noise_strengths"]) < 0.05 and r["noise_std_max"] < 0.1,
        shows=("noise_strength_min", "noise_strength_max", "noise_std_max"),
        doc="every layer's mean |strength| below 0.05; no pixel's std over noise draws reaches 0.1",
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
        "the samples' background is grey where real digits are black",
        lambda r: r["background_fake"] > r["background_real"] + 0.05,
        shows=("background_real", "background_fake"),
        doc="the darker half of the generated pixels is lighter by more than 0.05 (pixels in [-1, 1])",
    ),
    Gate(
        "12.1.9", SCRIPT,
        "the 4x4 and 8x8 styles decide the image, the 16x16 ones alone do not; mixes move to the second image as the crossover falls",
        lambda r: all(a < b for a, b in zip(_shares(r), _shares(r)[1:]))
        and float(r["crossover_share"]["4"]) < 0.5,
        shows=("crossover_share",),
        doc="over 100 pairs the share grows at every step of the crossover, and at crossover 4 "
        "(the 4x4 and 8x8 styles from the first latent) the mixes are nearer the first image",
    ),
]
