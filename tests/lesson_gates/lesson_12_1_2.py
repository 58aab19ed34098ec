"""Lesson 12.1.2 DCGAN: the claims about its runs (docs preset)."""

from lesson_gates import Gate

GATES = [
    Gate(
        "12.1.2",
        "dcgan_train",
        "D never wins outright for long: at most 50 steps of the 25-step averages have D(x) > 0.9 and D(G(z)) < 0.1",
        lambda r: r["d_wins_steps"] <= 50,
        shows=("d_wins_steps",),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "G's loss peaks in the opening (the first fifth of the run) and ends below half its peak",
        lambda r: r["peak_g_loss_step"] <= 200 and r["late_g_loss"] <= 0.5 * r["peak_g_loss"],
        shows=("peak_g_loss_step", "peak_g_loss", "late_g_loss"),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "after the opening D's beliefs hold steady: each 25-step average stays within a band 0.25 wide",
        lambda r: r["d_real_spread"] <= 0.25 and r["d_fake_spread"] <= 0.25,
        shows=("d_real_range", "d_fake_range"),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "D keeps an edge to the end, but neither belief is pinned at 1 or 0",
        lambda r: r["late_d_real"] - r["late_d_fake"] >= 0.1 and r["late_d_real"] < 0.95 and r["late_d_fake"] > 0.05,
        shows=("late_d_real", "late_d_fake"),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "the judge is trustworthy: at least 95% accurate on held-out real digits",
        lambda r: r["classifier_accuracy"] >= 0.95,
        shows=("classifier_accuracy",),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "no digit dominates: none has more than 20% of the samples",
        lambda r: max(r["class_shares"].values()) <= 0.2,
        shows=("most_common", "least_common"),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "the real digits are spread almost evenly (each class 9% to 11%)",
        lambda r: all(0.09 <= s <= 0.11 for s in r["real_shares"].values()),
        shows=("real_shares",),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "all 10 digits reach 3% of the samples (no digit is dropped)",
        lambda r: r["classes_covered"] == 10,
        shows=("classes_covered",),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "legible: the judge is sure (p > 0.9) of at least half as many samples as held-out real digits",
        lambda r: r["confident_share"] >= 0.5 * r["real_confident_share"],
        shows=("confident_share", "real_confident_share"),
    ),
    Gate(
        "12.1.2",
        "dcgan_train",
        "but less legible than real digits: the judge is sure of at least 10 points fewer samples than real digits",
        lambda r: r["confident_share"] <= r["real_confident_share"] - 0.1,
        shows=("confident_share", "real_confident_share"),
    ),
    Gate(
        "12.1.2",
        "dcgan_latent",
        "the straight line's midpoint is close to 1/sqrt(2) of the ends' length",
        lambda r: 0.6 <= r["midpoint_length"] <= 0.8,
        shows=("midpoint_length",),
    ),
    Gate(
        "12.1.2",
        "dcgan_latent",
        "no sign of copying: samples further from training images than those are from each other",
        lambda r: r["generated_nn"] > r["training_nn"],
        shows=("generated_nn", "training_nn"),
    ),
    Gate(
        "12.1.2",
        "dcgan_upsampling",
        "before training the transposed generator has a grid (10x the resize one's strength)",
        lambda r: r["untrained_transposed"] >= 10 * r["untrained_resize"] and r["untrained_transposed"] >= 0.05,
        shows=("untrained_transposed", "untrained_resize"),
    ),
    Gate(
        "12.1.2",
        "dcgan_upsampling",
        "at the resize run's end the transposed generator's grid has faded but is still far stronger than the resize generator's",
        lambda r: r["untrained_transposed"] > 2 * r["transposed_early"]
        and r["transposed_early"] > 0.002
        and r["transposed_early"] > 10 * max(r["resize_early"], r["real"]),
        shows=("early_step", "untrained_transposed", "transposed_early", "resize_early", "real"),
        doc="'still a grid' means above 0.002, the level 'gone' stays below",
    ),
    Gate(
        "12.1.2",
        "dcgan_upsampling",
        "after its full run the transposed generator's grid is gone, like real digits (< 0.002)",
        lambda r: r["transposed_final"] < 0.002 and r["real"] < 0.002,
        shows=("transposed_final", "real"),
    ),
]
