"""Lesson 12.1.3 Conditional GANs: the claims about its run (docs preset)."""

from lesson_gates import Gate

GATES = [
    Gate(
        "12.1.3",
        "conditional_gan",
        "almost every sample (at least 93%) is recognised as the digit asked for, within 5 points of how often the judge reads held-out real digits right",
        lambda r: r["recognised"] >= 0.93 and r["recognised"] >= r["classifier_accuracy"] - 0.05,
        shows=("recognised", "classifier_accuracy"),
    ),
    Gate(
        "12.1.3",
        "conditional_gan",
        "no class is left behind: the worst class is recognised in at least 80% of its samples",
        lambda r: r["worst_share"] >= 0.80,
        shows=("worst_class", "worst_share", "real_worst_share"),
    ),
    Gate(
        "12.1.3",
        "conditional_gan",
        "inside a class the samples vary about as much as real digits of that class (mean pixel-spread ratio 0.8 to 1.2)",
        lambda r: 0.8 <= r["spread_ratio"] <= 1.2,
        shows=("spread_ratio", "spread_lowest"),
    ),
    Gate(
        "12.1.3",
        "conditional_gan",
        "the judge is trustworthy: at least 95% accurate on held-out real digits",
        lambda r: r["classifier_accuracy"] >= 0.95,
        shows=("classifier_accuracy",),
    ),
    Gate(
        "12.1.3",
        "conditional_gan",
        "D leads early; at the end its beliefs are close (within 0.25) and away from 1 and 0",
        lambda r: r["early_gap"] >= 0.3
        and r["late_d_real"] - r["late_d_fake"] <= 0.25
        and r["late_d_real"] < 0.9
        and r["late_d_fake"] > 0.1,
        shows=("early_gap", "late_d_real", "late_d_fake"),
    ),
]
