"""Lesson 12.1.4 GAN Losses and Wasserstein GANs: the claims about its runs.

``gan_losses`` records its six 2-D runs (trained in worker processes, recorded in the
script's own process); ``wgan_gp`` records its summary lines.  Sentences that compare
the losses (which covers more modes, which run the monitor flagged and still covers
modes) are recorded as text by the script itself, so they need no gate here."""

from lesson_gates import Gate


def _progress_shape(r):
    """Five progress lines, each below the one before, the last under a third of the first."""
    p = r["progress_estimates"]
    return len(p) == 5 and all(b < a for a, b in zip(p, p[1:])) and p[4] < p[0] / 3


GATES = [
    Gate(
        "12.1.4",
        "gan_losses",
        "the minimax gradient is near 0 where D rejects a fake, the non-saturating one near 1",
        lambda r: r["minimax_gradient_at_001"] < 0.05 and r["non_saturating_gradient_at_001"] > 0.95
        and r["minimax_gradient_at_099"] > 0.95 and r["non_saturating_gradient_at_099"] < 0.05,
        shows=("minimax_gradient_at_001", "non_saturating_gradient_at_001"),
    ),
    Gate(
        "12.1.4",
        "gan_losses",
        "the monitor flagged the non-saturating run: its spread fell below 0.3 of the data's",
        lambda r: "g_collapsing" in r["non_saturating_monitor"] and r["non_saturating_lowest_spread"] < 0.3,
        shows=("non_saturating_monitor", "non_saturating_lowest_spread"),
    ),
    Gate(
        "12.1.4",
        "gan_losses",
        "non-saturating: a cloud that moves around the ring (2+ hops), off the modes (<10% on them)",
        lambda r: r["non_saturating_hops"] >= 2 and r["non_saturating_most_on_modes"] < 10,
        shows=("non_saturating_hops", "non_saturating_most_on_modes", "non_saturating_modes"),
    ),
    Gate(
        "12.1.4",
        "gan_losses",
        "few Wasserstein samples lie within 0.06 of a centre: not converged in 2,000 steps (<10%)",
        lambda r: r["wgan_high_quality"] < 10 and r["wgan_gp_high_quality"] < 10,
        shows=("wgan_high_quality", "wgan_gp_high_quality"),
    ),
    Gate(
        "12.1.4",
        "wgan_gp",
        "the estimate peaks early (first quarter) and its last 50-step mean is under half its first",
        lambda r: r["estimate_peak_step"] <= 100 and r["estimate_last"] < r["estimate_first"] / 2,
        shows=("estimate_peak_step", "estimate_first", "estimate_last"),
    ),
    Gate(
        "12.1.4",
        "wgan_gp",
        "progress lines: the estimate falls from each line to the next, to under a third of the first",
        _progress_shape,
        shows=("progress_estimates",),
    ),
    Gate(
        "12.1.4",
        "wgan_gp",
        "feature distance: under a tenth of its start, still above that of real digits",
        lambda r: r["distance_end"] < r["distance_start"] / 10 and r["distance_real"] < r["distance_end"],
        shows=("distance_start", "distance_end", "distance_real"),
    ),
    Gate(
        "12.1.4",
        "wgan_gp",
        "the trained critic's gradient norms average within 0.2 of 1, spread under half the untrained one's",
        lambda r: abs(r["norm_after_mean"] - 1) <= 0.2 and r["norm_after_std"] < r["norm_before_std"] / 2,
        shows=("norm_before_mean", "norm_before_std", "norm_after_mean", "norm_after_std"),
    ),
    Gate(
        "12.1.4",
        "wgan_gp",
        "the penalty term of the last progress line is under half that of the first",
        lambda r: r["penalty_last"] < r["penalty_first"] / 2,
        shows=("penalty_first", "penalty_last"),
    ),
    Gate(
        "12.1.4",
        "wgan_gp",
        "recognised share: under half that of held-out real digits (the docs run stops early), above 10%",
        lambda r: 0.1 < r["recognised_after"] < r["recognised_real"] / 2,
        shows=("recognised_after", "recognised_real", "judge_accuracy"),
    ),
]
