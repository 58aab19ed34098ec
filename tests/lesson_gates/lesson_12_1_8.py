"""Lesson 12.1.8 Image-to-Image Translation: the claims about its runs."""

from lesson_gates import Gate

GATES = [
    # pix2pix: the Quick Start and the held-out error figure
    Gate(
        "12.1.8",
        "pix2pix",
        "L1 + GAN clearly beats the best constant output (below 70% of its error)",
        lambda r: r["l1_share"] < 0.7,
        shows=("constant", "l1_error", "l1_share"),
    ),
    Gate(
        "12.1.8",
        "pix2pix",
        "the GAN-only run is worse than the best constant output (above 110% of its error)",
        lambda r: r["plain_share"] > 1.1,
        shows=("plain_error", "plain_share"),
    ),
    Gate(
        "12.1.8",
        "pix2pix",
        "held-out error figure: L1 + GAN below the constant from step 250 on and lowest at the end, GAN only ends above it",
        lambda r: all(e < r["constant"] for e in r["l1_curve"][1:])
        and r["plain_curve"][-1] > r["constant"]
        and r["l1_curve"][-1] < r["plain_curve"][-1],
        shows=("constant", "l1_curve", "plain_curve"),
    ),
    Gate(
        "12.1.8",
        "pix2pix",
        "colours: the L1 + GAN run gets more shapes' colours right than a guess (a third), not yet reliably (under 90%); GAN only near a guess",
        lambda r: 0.4 < r["l1_right_colour"] < 0.9 and r["plain_right_colour"] < 0.5,
        shows=("l1_right_colour", "plain_right_colour"),
        doc="L1 + GAN 46-50%, GAN only 26-43% over 3 seeds and both kernel paths; the issue asks for 90% and more, "
        "which the docs preset does not reach",
    ),
    # cyclegan: Concept 5, the judges and the run with the cycle loss
    Gate(
        "12.1.8",
        "cyclegan",
        "both judges are reliable: domain classifier >= 98% on each domain, digit classifier >= 95%",
        lambda r: min(r["judge_a"], r["judge_b"]) >= 0.98 and r["digit_accuracy"] >= 0.95,
        shows=("judge_b", "judge_a", "digit_accuracy"),
    ),
    Gate(
        "12.1.8",
        "cyclegan",
        "cycle run: round trips come back, >= 90% nearer their own start than any other held-out image, each way",
        lambda r: min(r["cycle_home_a"], r["cycle_home_b"]) >= 0.9 and max(r["cycle_cycle_a"], r["cycle_cycle_b"]) < r["cycle_other_digit"],
        shows=("cycle_home_a", "cycle_home_b", "cycle_cycle_a", "cycle_cycle_b", "cycle_other_digit"),
        doc="93.6-99.8% over 3 seeds and both kernel paths; the errors stay under the distance between two A digits",
    ),
    Gate(
        "12.1.8",
        "cyclegan",
        "cycle run: >= 90% of translations judged the target domain, each way",
        lambda r: min(r["cycle_as_b"], r["cycle_as_a"]) >= 0.9,
        shows=("cycle_as_b", "cycle_as_a"),
    ),
    Gate(
        "12.1.8",
        "cyclegan",
        "cycle run: B -> A recognised about as often as real digits (within 5 points, >= 80%)",
        lambda r: r["cycle_recognised_ba"] >= 0.8 and r["digit_accuracy"] - r["cycle_recognised_ba"] < 0.05,
        shows=("cycle_recognised_ba", "digit_accuracy"),
    ),
    # cyclegan: Concept 6, the run without the cycle loss
    Gate(
        "12.1.8",
        "cyclegan",
        "GAN-only run keeps the digit too: >= 80% recognised, >= 90% judged the target domain",
        lambda r: r["plain_recognised_ba"] >= 0.8 and min(r["plain_as_b"], r["plain_as_a"]) >= 0.9,
        shows=("plain_recognised_ba", "plain_as_b", "plain_as_a"),
    ),
    Gate(
        "12.1.8",
        "cyclegan",
        "GAN-only A -> B translations closer to the correct answer than the cycle run's (by 10%)",
        lambda r: r["plain_error_ab"] < 0.9 * r["cycle_error_ab"],
        shows=("cycle_error_ab", "plain_error_ab"),
    ),
    Gate(
        "12.1.8",
        "cyclegan",
        "the B -> A sentence names the run that is closer to the correct answer",
        lambda r: (r["plain_error_ba"] < r["cycle_error_ba"]) == r["ba_plain_closer"]
        and ("GAN-only run is closer" in r["ba_verdict"]) == r["ba_plain_closer"],
        shows=("cycle_error_ba", "plain_error_ba", "ba_verdict"),
        doc="a generated sentence: the cycle run is closer on 5 of 6 runs (3 seeds, both kernel paths), the GAN-only run on native seed 0",
    ),
    Gate(
        "12.1.8",
        "cyclegan",
        "the round-trip sentences say what the run shows: GAN-only round trips worse by over a fifth (summed over both directions), or not",
        lambda r: (r["plain_cycle_a"] + r["plain_cycle_b"] > 1.2 * (r["cycle_cycle_a"] + r["cycle_cycle_b"])) == r["round_trips_worse"],
        shows=("cycle_cycle_a", "plain_cycle_a", "cycle_cycle_b", "plain_cycle_b"),
        doc="a generated sentence: worse by over a fifth on 3 of 6 runs (3 seeds, both kernel paths), within a fifth on the others",
    ),
]
