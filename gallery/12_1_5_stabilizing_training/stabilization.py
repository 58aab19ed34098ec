"""
Ten stabilisation tricks, one fragile GAN
=========================================

Lesson :ref:`module-12-1-5-stabilizing-training`, script 1 of 2.

A deliberately fragile baseline: the plain non-saturating GAN of
:mod:`modules.experiments.toy2d` on the ring of 8 Gaussians, which on its own never settles on
the modes.  Each trick of :mod:`modules.game.tricks` is then added *alone* to exactly
that baseline, with nothing else changed, and every run is scored the same way:
modes covered, the share of high-quality samples, and whether the training health
monitor (:mod:`modules.evaluation.monitor`) raised a warning.

This is one seed on one toy problem: it shows what each trick does to *this* game,
not a ranking that holds everywhere (see the lesson's exercises).

Run it yourself::

    python stabilization.py                         # full preset: the constants below
    python stabilization.py --preset docs           # the quick run this page shows
    python stabilization.py --tricks spectral_norm,ttur --steps 4000
    python stabilization.py --target grid --save-samples best.npy
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--tricks``, ``--target``, ``--steps``,
# ``--batch-size``, ``--lr``, ``--workers``, ``--seed``, ``--save-samples``).
# ``TRICKS`` lists the tricks to try, each added alone to the baseline.  The full
# preset tries all ten.  To stay within its time budget the docs preset trains for
# 2,000 steps at twice the learning rate (it still decays linearly to zero), tries
# the seven training tricks of this lesson and leaves the three mode-collapse fixes
# (minibatch std, unrolling, packing) to ``mode_collapse.py`` (lesson 12.1.6), which
# adds them to this very baseline.

TRICKS = "label_smoothing,noisy_labels,instance_noise,spectral_norm,ttur,feature_matching,gradient_clipping,minibatch_std,unrolled,pack"
TARGET = "ring"
STEPS = 6000  # generator steps per run
BATCH_SIZE = 128
LR = 1e-3  # Adam, both players (TTUR sets its own two rates)
WORKERS = 0  # training processes at once; 0: one per CPU core
SEED = 0
DOCS_PRESET = {"steps": 2000, "lr": 2e-3, "tricks": ["label_smoothing", "noisy_labels", "instance_noise", "spectral_norm", "ttur", "feature_matching", "gradient_clipping"]}

# sphinx_gallery_thumbnail_number = 2

# %%
from dataclasses import replace

from modules.cli import Option, recipe_flags, name_list, one_of, parse_script_args, save_samples
from modules.data.synthetic import toy_target
from modules.figures.plotting import plot_2d_panels, plot_coverage_bars
from modules.figures.output import show_figures
from modules.storage.results import record
from modules.experiments.toy2d import ToyRecipe, note_device, save_samples_option, toy_runs_or_exit
from modules.experiments.workers import workers_option
from modules.game.tricks import TRICKS as KNOWN_TRICKS

args = parse_script_args(
    [
        Option("tricks", name_list(TRICKS), name_list, "comma-separated tricks, each tried alone", one_of(list(KNOWN_TRICKS))),
        *recipe_flags(
            ToyRecipe, target=TARGET, steps=STEPS, batch_size=BATCH_SIZE, lr=LR,
        ),
        workers_option(WORKERS),
        save_samples_option("the best run's"),
    ],
    DOCS_PRESET,
    description="Add each stabilisation trick alone to a fragile 2-D GAN and compare.",
    seed=SEED,
)
print(f"preset={args.preset} target={args.target} steps={args.steps} batch_size={args.batch_size} lr={args.lr:g}")
note_device(args.device)

# %%
# The tricks
# ----------
# Each name is a small object that acts at one place of the shared trainer's game
# (see :mod:`modules.game.tricks`), or, for ``minibatch_std`` and ``pack``, a change
# to D's input layer.

for name in args.tricks:
    print(f"{name:>18}: {KNOWN_TRICKS[name][0]}")

# %%
# The ablation
# ------------
# The baseline plus one recipe per trick.  The runs are independent, so they train
# in parallel worker processes (each seeded on its own: the numbers do not depend on
# how many run at once).

baseline = args.recipe
runs = toy_runs_or_exit(lambda: [baseline] + [replace(baseline, tricks=(name,)) for name in args.tricks], workers=args.workers or None)

labels = ["baseline"] + list(args.tricks)
print(f"\n{'run':<18} {'modes':>6} {'high quality':>13}  monitor")
for name, run in zip(labels, runs):
    c = run.coverage
    warnings = "healthy" if run.health.healthy else ", ".join(sorted(run.health.first_seen, key=run.health.first_seen.get))
    print(f"{name:<18} {c.modes_covered:>3}/{c.num_modes:<2} {100 * c.high_quality:>12.1f}%  {warnings}")
    # what the lesson quotes of each row (the page's roles and quality gates read these)
    record(f"{name}_modes", c.modes_covered)
    record(f"{name}_hq", 100 * c.high_quality, ".1f")
    record(f"{name}_warnings", sorted(run.health.first_seen, key=run.health.first_seen.get))
    record(f"{name}_monitor", warnings)
    record(f"{name}_row", f"{c.modes_covered} of {c.num_modes} modes, {100 * c.high_quality:.1f}% high quality, monitor: {warnings}")
    record(f"{name}_spread", run.health.spread[-1], ".2f")  # G's spread / the data's, last check
record("num_modes", runs[0].coverage.num_modes)
# where the baseline's generator was at each snapshot (the mean of its output on fixed noise)
record("baseline_snapshots", {step: x.mean(0).tolist() for step, x in runs[0].snapshots})

# %%
# Three groups
# ------------
# The lesson sorts the runs into three groups: *fixed* covers every mode with at
# least half of its samples close to one; *collapsed* is not fixed, was flagged "G
# collapsing" and ends collapsed (spread under half the data's at the last check);
# *spread* is neither: G ends covering much of the target, without precision (a run
# can be flagged on the way and spread out again).
# The sentences recorded here are the ones the lesson shows for this run.

WORDS = {
    "baseline": "the baseline", "label_smoothing": "label smoothing", "noisy_labels": "noisy labels",
    "instance_noise": "instance noise", "spectral_norm": "spectral normalisation", "ttur": "TTUR",
    "feature_matching": "feature matching", "gradient_clipping": "gradient clipping",
    "minibatch_std": "the minibatch standard deviation", "unrolled": "unrolling", "pack": "packing",
}


def group(run):
    c = run.coverage
    if c.modes_covered == c.num_modes and c.high_quality >= 0.5:
        return "fixed"
    return "collapsed" if "g_collapsing" in run.health.first_seen and run.health.spread[-1] < 0.5 else "spread"


def listed(names):
    words = [WORDS[name] for name in names]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


groups = {name: group(run) for name, run in zip(labels, runs)}
for name in labels:
    record(f"{name}_group", groups[name])
print()
for kind in ("fixed", "spread", "collapsed"):
    members = [name for name in labels if groups[name] == kind]
    print(f"{kind + ':':<10} {', '.join(members) or '-'}")
    record(kind, members)
    record(f"{kind}_words", listed(members) if members else "none")


def verdict(names):
    """How the runs of ``names`` ended, as a sentence the lesson shows."""
    counted = {kind: [name for name in names if groups[name] == kind] for kind in ("collapsed", "spread", "fixed")}
    said = {"collapsed": "stayed collapsed", "spread": f"spread G over the {args.target} without precision", "fixed": "fixed the collapse"}
    parts = [f"{listed(members)} {said[kind]}" for kind, members in counted.items() if members]
    if not counted["fixed"] and len(names) > 1:
        parts.append("none fixed the collapse" if len(names) > 2 else "neither fixed the collapse")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


tricks = [name for name in labels if name != "baseline"]
calming = [name for name in tricks if name in ("label_smoothing", "noisy_labels", "instance_noise", "spectral_norm", "gradient_clipping")]
pace = [name for name in tricks if name in ("ttur", "feature_matching")]
record("verdict_all", verdict(tricks))
if calming:
    record("verdict_calming", verdict(calming))
if pace:
    record("verdict_pace", verdict(pace))
failing = [name for name in labels if "d_failing" in runs[labels.index(name)].health.first_seen]
record(
    "d_failing_sentence",
    f"The ablation has {'one run' if len(failing) == 1 else f'{len(failing)} runs'} in which it fired: {listed(failing)}."
    if failing
    else "It did not fire in the ablation either.",
)

# %%
# The table as a figure
# ---------------------
# Bars for modes covered and the high-quality share; a star after the name marks
# the runs in which the health monitor raised at least one warning.

target = toy_target(args.target)
fig = plot_coverage_bars(
    labels,
    [r.coverage.modes_covered for r in runs],
    target.num_modes,
    [r.coverage.high_quality for r in runs],
    label="ablation",
    title=f"Each trick alone on the fragile baseline ({args.target}, {args.steps} steps)",
    flags=[not r.health.healthy for r in runs],
)

# %%
# What the samples look like
# --------------------------
# The 2,500 scored samples of every run.  The numbers say *how much* each trick
# helped; the pictures say *how*: some tricks spread G over the ring without
# sharpening it, the others leave it collapsed on one small patch or streak.

fig = plot_2d_panels(
    {name: run.samples for name, run in zip(labels, runs)},
    target,
    label="ablation_samples",
    cols=4,
    notes={name: f"{r.coverage.modes_covered}/{target.num_modes}, {100 * r.coverage.high_quality:.0f}% HQ" for name, r in zip(labels, runs)},
)

best = max(zip(labels, runs), key=lambda item: (item[1].coverage.modes_covered, item[1].coverage.high_quality))
print(f"\nbest: {best[0]} ({best[1].coverage})")
record("best", best[0])
save_samples(args.save_samples, best[1].samples)
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
