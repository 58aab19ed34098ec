"""Lesson 12.1.1 GAN Architecture: the claims about its runs."""

from lesson_gates import Gate

LN2 = 0.6931  # G's loss when D(G(z)) = 1/2; D's is 2 ln 2

GATES = [
    # -- gan_architecture.py, the build's run (docs preset)
    Gate(
        "12.1.1",
        "gan_architecture",
        "the untrained generator is nowhere near N(4, 1.25^2), huddled around one value",
        lambda r: abs(r["untrained_mean"] - 4.0) > 2.0 and r["untrained_std"] < 0.5,
        shows=("untrained_mean", "untrained_std"),
    ),
    Gate(
        "12.1.1",
        "gan_architecture",
        "final mean and std both within 0.1 of N(4, 1.25^2)",
        lambda r: abs(r["final_mean"] - 4.0) < 0.1 and abs(r["final_std"] - 1.25) < 0.1,
        shows=("final_mean", "final_std"),
    ),
    Gate(
        "12.1.1",
        "gan_architecture",
        "mean and std stay within 0.1 of the target from some epoch on",
        lambda r: isinstance(r["within_from"], int) and r["within_from"] <= 400,
        shows=("within_from",),
    ),
    Gate(
        "12.1.1",
        "gan_architecture",
        "heads for the target quickly: the first progress line's mean is within 1 of 4",
        lambda r: abs(r["first_mean"] - 4.0) < 1.0,
        shows=("first_epoch", "first_mean"),
    ),
    Gate(
        "12.1.1",
        "gan_architecture",
        "then wobbles around the target, within a few tenths",
        lambda r: r["largest_miss"] < 0.8,
        shows=("largest_miss",),
    ),
    Gate(
        "12.1.1",
        "gan_architecture",
        "D's loss falls at first, below 2 ln 2",
        lambda r: r["early_min_d_loss"] < 2 * LN2 - 0.15,
        shows=("early_min_d_loss",),
    ),
    Gate(
        "12.1.1",
        "gan_architecture",
        "the losses settle near 2 ln 2 and ln 2, D(x) and D(G(z)) near 1/2",
        lambda r: abs(r["late_d_loss"] - 2 * LN2) < 0.05
        and abs(r["late_g_loss"] - LN2) < 0.05
        and abs(r["late_d_real"] - 0.5) < 0.03
        and abs(r["late_d_fake"] - 0.5) < 0.03,
        shows=("late_d_loss", "late_g_loss", "late_d_real", "late_d_fake"),
    ),
    Gate(
        "12.1.1",
        "gan_architecture",
        "the histogram is close to the bell curve (its middle holds 0.383 +- 0.06)",
        lambda r: abs(r["center_share"] - 0.383) < 0.06 and abs(r["excess_kurtosis"]) < 0.5,
        shows=("center_share", "excess_kurtosis", "histogram_shape"),
    ),
    # -- gan_architecture.py, Exercise 2's other target (a variant run)
    Gate(
        "12.1.1",
        "gan_architecture",
        "another target, N(0, 3^2), is learned too: mean and std within 0.3",
        lambda r: abs(r["final_mean"]) < 0.3 and abs(r["final_std"] - 3.0) < 0.3,
        shows=("final_mean", "final_std"),
        args=("--data-mean", "0", "--data-stddev", "3"),
    ),
    # -- gan_patterns.py, the build's run
    Gate(
        "12.1.1",
        "gan_patterns",
        "mostly crisp lines: at least 80% of 1000 samples are clean lines",
        lambda r: r["clean_share"] >= 0.8,
        shows=("clean_share",),
    ),
    Gate(
        "12.1.1",
        "gan_patterns",
        "a mild case of mode collapse: some but not all of the 16 patterns",
        lambda r: 4 <= r["covered"] < 16,
        shows=("covered",),
    ),
    Gate(
        "12.1.1",
        "gan_patterns",
        "the patterns drawn are all of one orientation",
        lambda r: r["horizontal"] == 0 or r["vertical"] == 0,
        shows=("horizontal", "vertical"),
    ),
]
