"""Lesson 12.1.5 Stabilizing Training: the claims about its runs (provisional)."""

from lesson_gates import Gate

GATES = [
    Gate("12.1.5", "stabilization", "provisional", lambda r: True, shows=("baseline_modes",)),
    Gate("12.1.5", "training_monitor", "provisional", lambda r: True, shows=("fragile_spread",)),
]
