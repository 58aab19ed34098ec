"""Lesson 12.1.1 GAN Architecture: the claims about its runs."""

from lesson_gates import Gate

GATES = [
    Gate(
        "12.1.1",
        "gan_architecture",
        "final mean and std both within 0.1 of N(4, 1.25^2)",
        lambda r: abs(r["final_mean"] - 4.0) < 0.1 and abs(r["final_std"] - 1.25) < 0.1,
        shows=("final_mean", "final_std"),
    ),
]
