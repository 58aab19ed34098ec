"""Lesson 12.1.3 Conditional GANs: the claims about its run (docs preset)."""

from lesson_gates import Gate

GATES = [
    Gate(
        "12.1.3",
        "conditional_gan",
        "most samples (at least 80%) are recognised as the digit asked for",
        lambda r: r["recognised"] >= 0.8,
        shows=("recognised",),
    ),
    Gate(
        "12.1.3",
        "conditional_gan",
        "one weak class: the worst class is recognised at least 10 points less often than the mean",
        lambda r: r["worst_share"] <= r["recognised"] - 0.10,
        shows=("worst_class", "worst_share", "recognised"),
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
