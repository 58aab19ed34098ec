"""Lesson 12.1.7 Evaluating GANs: the claims about the run of ``gan_metrics.py``.

The script measures lesson 12.1.2's DCGAN over its training and lesson 12.1.3's
conditional DCGAN, generators with known flaws, the nearest-neighbour check and
FID's sample-size bias.  Every sentence of the lesson that reads those tables rests
on one of these gates; the numbers themselves come from the build (``:result:``).
"""

from lesson_gates import Gate

L, S = "12.1.7", "gan_metrics"
METRICS = ("fid", "kid", "precision", "recall", "is")


def _progress(r):
    """The DCGAN's metrics at its kept steps, in step order."""
    return [m for _, m in sorted(r["progress"].items(), key=lambda item: int(item[0]))]


def _flat(r):
    """The metrics of the flat phase (every step up to ``flat_until``)."""
    return [m for step, m in r["progress"].items() if int(step) <= r["flat_until"]]


def _bias(r):
    return [m for _, m in sorted(r["bias"].items(), key=lambda item: int(item[0]))]


GATES = [
    # -- the DCGAN over training (Quick Start, Exercise 1)
    Gate(
        L, S, "over the run every metric of the DCGAN swings towards the real data (after a flat phase, if there is one)",
        lambda r: r["fid_fall"] > 10
        and _progress(r)[-1]["kid"] < 0.2 * _progress(r)[0]["kid"]
        and _progress(r)[-1]["precision"] > r["flat_pr_max"] + 0.2
        and _progress(r)[-1]["recall"] > r["flat_pr_max"] + 0.2
        and _progress(r)[-1]["is"] > r["flat_is_max"] + 2,
        shows=("flat_until", "fid_fall", "flat_pr_max", "flat_is_max", "dcgan_precision", "dcgan_recall", "dcgan_is"),
        doc="the flat phase (FID within a quarter of its first value) may be step 0 alone; FID falls more than tenfold",
    ),
    Gate(
        L, S, "in the flat phase (at least the untrained generator) precision and recall are about 0 and IS about 1, KID above thousands",
        lambda r: r["flat_pr_max"] < 0.02 and r["flat_is_max"] < 1.3 and r["flat_kid_min"] > 1000,
        shows=("flat_pr_max", "flat_is_max", "flat_kid_min"),
    ),
    Gate(
        L, S, "FID is still falling at the DCGAN's last step",
        lambda r: _progress(r)[-1]["fid"] < _progress(r)[-2]["fid"],
        shows=("fid_after_flat",),
    ),
    Gate(
        L, S, "the DCGAN's last row: FID and precision short of real vs real, recall much closer to it than precision",
        lambda r: r["dcgan_fid"] > 1.5 * r["floor_fid"]
        and r["dcgan_precision"] < r["floor_precision"] - 0.08
        and r["floor_recall"] - r["dcgan_recall"] < r["floor_precision"] - r["dcgan_precision"],
        shows=("dcgan_fid", "floor_fid", "dcgan_precision", "dcgan_recall", "floor_precision", "floor_recall"),
    ),
    Gate(
        L, S, "KIDs of the digit features reach the thousands",
        lambda r: max(m["kid"] for m in _progress(r)) > 1000,
        shows=("flat_kid_min", "dcgan_kid", "floor_kid"),
    ),
    # -- conditional against unconditional (Exercise 2)
    Gate(
        L, S, "the conditional DCGAN beats the DCGAN by FID, precision and IS",
        lambda r: r["cgan_fid"] < 0.8 * r["dcgan_fid"]
        and r["cgan_precision"] > r["dcgan_precision"] + 0.02
        and r["cgan_is"] > r["dcgan_is"] + 0.3,
        shows=tuple(f"{who}_{m}" for m in METRICS for who in ("dcgan", "cgan")),
    ),
    Gate(
        L, S, "the conditional DCGAN's IS is close to the real images'",
        lambda r: abs(r["cgan_is"] - r["floor_is"]) < 1.0,
        shows=("cgan_is", "floor_is"),
    ),
    # -- which metric sees which flaw (Concept 4, Exercise 3, Key Takeaways)
    Gate(
        L, S, "half the classes keeps precision and loses about half the recall",
        lambda r: r["case_classes_precision"] > r["case_held_precision"] - 0.02 and 0.35 < r["case_classes_recall"] < 0.65,
        shows=("case_classes_precision", "case_held_precision", "case_classes_recall"),
    ),
    Gate(
        L, S, "half junk loses precision and recall does not notice it (does not drop)",
        lambda r: r["case_junk_precision"] < r["case_held_precision"] - 0.2 and r["case_junk_recall"] > r["case_held_recall"] - 0.03,
        shows=("case_junk_precision", "case_held_precision", "case_junk_recall", "case_held_recall"),
    ),
    Gate(
        L, S, "dropping half the classes costs many times the FID of held-out real images; blurring every image costs far more still",
        lambda r: r["case_classes_fid"] > 10 * r["case_held_fid"] and r["case_blurred_fid"] > 3 * r["case_classes_fid"],
        shows=("case_held_fid", "case_classes_fid", "case_blurred_fid"),
    ),
    Gate(
        L, S, "blur and noise lower precision and recall, recall the more",
        lambda r: all(
            r[f"case_{c}_precision"] < r["case_held_precision"] - 0.1
            and r[f"case_{c}_recall"] < r["case_held_recall"] - 0.3
            and r[f"case_{c}_recall"] < r[f"case_{c}_precision"]
            for c in ("blurred", "noisy")
        ),
        shows=("case_blurred_precision", "case_blurred_recall", "case_noisy_precision", "case_noisy_recall"),
    ),
    Gate(
        L, S, "IS scores half the classes near 5, and blurred and noisy images below half the real IS",
        lambda r: 4.3 < r["case_classes_is"] <= 5.0
        and r["case_blurred_is"] < 0.5 * r["case_held_is"] and r["case_noisy_is"] < 0.5 * r["case_held_is"],
        shows=("case_held_is", "case_classes_is", "case_blurred_is", "case_noisy_is"),
    ),
    Gate(
        L, S, "every metric calls the copier perfect; its KID is negative",
        lambda r: r["case_copies_fid"] < 0.005
        and r["case_copies_precision"] == 1.0
        and r["case_copies_recall"] == 1.0
        and abs(r["case_copies_is"] - r["floor_is"]) < 1e-9
        and r["case_copies_kid"] < 0,
        shows=("case_copies_fid", "case_copies_precision", "case_copies_recall", "case_copies_kid"),
    ),
    # -- the nearest-neighbour check (Exercise 4)
    Gate(
        L, S, "the nearest-neighbour check catches the copier and clears the DCGAN",
        lambda r: r["nearest_copies"] == 0 and r["closer_copies"] == 1.0
        and r["nearest_held"] > 2 and r["closer_held"] == 0
        and r["nearest_dcgan"] > r["nearest_held"] and r["closer_dcgan"] == 0,
        shows=("nearest_held", "nearest_dcgan", "nearest_copies", "closer_held", "closer_dcgan"),
    ),
    # -- FID's bias and KID's lack of it (Exercise 5, Key Takeaways, Common Pitfalls)
    Gate(
        L, S, "FID of real vs real falls roughly like 1/N and is far above its standard error",
        lambda r: all(a["fid_mean"] > b["fid_mean"] for a, b in zip(_bias(r), _bias(r)[1:]))
        and r["nfid_high"] < 1.5 * r["nfid_low"]
        and all(m["fid_std"] / 50**0.5 < m["fid_mean"] / 10 for m in _bias(r))
        and r["bias_fid_fall"] > 4,
        shows=("bias_fid_means", "nfid_low", "nfid_high", "bias_fid_fall"),
    ),
    Gate(
        L, S, "KID of real vs real shows no bias: means within 3.5 standard errors of 0",
        lambda r: r["bias_kid_z_max"] < 3.5,
        shows=("bias_kid_means", "bias_kid_ses", "bias_kid_z_max"),
    ),
    Gate(
        L, S, "single KID estimates at the smallest size are noisy and go far below 0",
        lambda r: r["bias_kid_std_first"] > 2 * max(abs(m["kid_mean"]) for m in _bias(r))
        and r["bias_kid_min_first"] < -r["bias_kid_std_first"],
        shows=("bias_kid_std_first", "bias_kid_min_first", "bias_kid_means"),
    ),
    Gate(
        L, S, "the real-vs-real floor is about the bias at that sample size",
        lambda r: 0.5 < r["floor_fid"] / r["bias_fid_last"] < 2,
        shows=("floor_fid", "bias_fid_last"),
    ),
    Gate(
        L, S, "that bias is a sizeable part of both generators' FIDs (over a fifth of the DCGAN's, over half the conditional one's)",
        lambda r: r["bias_fid_last"] > 0.2 * r["dcgan_fid"] and r["bias_fid_last"] > 0.5 * r["cgan_fid"],
        shows=("bias_fid_last", "dcgan_fid", "cgan_fid"),
    ),
    Gate(
        L, S, "the conditional DCGAN's FID is not far above the real-vs-real floor (less than twice it)",
        lambda r: r["cgan_fid"] < 2 * r["floor_fid"],
        shows=("cgan_fid", "floor_fid"),
    ),
    # -- the same two halves in the two orders (Exercise 6)
    Gate(
        L, S, "real vs real and held-out real: same FID, precision and recall swapped",
        lambda r: abs(r["floor_fid"] - r["case_held_fid"]) < 1e-4 * r["floor_fid"]  # the same up to rounding
        and r["floor_precision"] == r["case_held_recall"]
        and r["floor_recall"] == r["case_held_precision"],
        shows=("floor_fid", "case_held_fid", "floor_precision", "floor_recall"),
    ),
]
