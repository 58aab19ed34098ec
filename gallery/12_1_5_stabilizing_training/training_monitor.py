"""
Reading a GAN's vital signs
===========================

Lesson :ref:`module-12-1-5-stabilizing-training`, script 2 of 2.

A GAN's two losses do not say whether it is learning: they are the two sides of a
game and can look calm while the generator draws the same point over and over.
The :class:`~modules.evaluation.monitor.HealthMonitor` callback watches what does carry
information: D's average verdict on real samples, D(x), and on fakes, D(G(z)), and
the spread of G's samples compared with the data's.  It flags three warning signs,
each with the step where it first appeared:

* **D too strong**: D(x) above 0.9 while D(G(z)) is below 0.1; G's gradient fades.
* **D failing**: D(G(z)) above D(x) + 0.1; D rates fakes as more real than data.
* **G collapsing**: G's spread below 0.3 times the data's.

Three runs on the ring of 8 are watched: the healthy one (the baseline with D's
minibatch standard deviation), the fragile baseline of ``stabilization.py``, and a
generator that uses the saturating minimax loss and learns a hundred times more
slowly than its discriminator.

Run it yourself::

    python training_monitor.py                   # full preset: the constants below
    python training_monitor.py --preset docs     # the quick run this page shows
    python training_monitor.py --g-slowdown 10 --steps 4000
"""

# %%
# Settings
# --------
# Every constant is also a flag (``--target``, ``--steps``, ``--batch-size``,
# ``--lr``, ``--g-slowdown``, ``--workers``, ``--seed``).  The first two runs share
# their recipes with ``stabilization.py``, so after that script they come from the
# model cache.

TARGET = "ring"
STEPS = 6000  # generator steps per run
BATCH_SIZE = 128
LR = 1e-3  # Adam, both players
G_SLOWDOWN = 100.0  # the third run: G's learning rate = LR / G_SLOWDOWN (D keeps LR)
WORKERS = 0  # training processes at once; 0: one per CPU core
SEED = 0
DOCS_PRESET = {"steps": 3000}

# sphinx_gallery_thumbnail_number = 1

# %%
from dataclasses import replace

from modules.cli import Option, recipe_flags, parse_script_args, positive
from modules.evaluation.monitor import SIGNS
from modules.figures.plotting import plot_monitor
from modules.figures.output import show_figures
from modules.storage.results import record
from modules.experiments.toy2d import ToyRecipe, note_device, toy_runs_or_exit
from modules.experiments.workers import workers_option

args = parse_script_args(
    [
        *recipe_flags(
            ToyRecipe, target=TARGET, steps=STEPS, batch_size=BATCH_SIZE, lr=LR,
        ),
        workers_option(WORKERS),
        Option("g_slowdown", G_SLOWDOWN, float, "the third run's G learning rate is --lr divided by this", positive),
    ],
    DOCS_PRESET,
    description="Watch D(x), D(G(z)) and G's spread for a healthy and two failing 2-D GANs.",
    seed=SEED,
)
print(f"preset={args.preset} target={args.target} steps={args.steps} batch_size={args.batch_size} lr={args.lr:g}")
note_device(args.device)

# %%
# Three runs
# ----------
# The monitor is attached to every :class:`~modules.experiments.toy2d.ToyRecipe` run by
# :func:`~modules.experiments.toy2d.train_toy_gan`; it checks its averages 40 times per run.

baseline = args.recipe
results = toy_runs_or_exit(
    lambda: {
        "healthy (minibatch std)": replace(baseline, tricks=("minibatch_std",)),
        "fragile baseline": baseline,
        f"minimax, G {args.g_slowdown:g}x slower": replace(baseline, loss="minimax", lr=args.lr / args.g_slowdown, lr_d=args.lr),
    },
    workers=args.workers or None,
)

keys = dict(zip(results, ("healthy", "fragile", "minimax")))  # the names the lesson quotes them by
for name, run in results.items():
    r = run.health
    print(f"\n{name}: {run.coverage}")
    print(f"  last check: D(x) = {r.d_real[-1]:.2f}, D(G(z)) = {r.d_fake[-1]:.2f}, G's spread = {r.spread[-1]:.2f} x the data's")
    for line in r.lines():
        print(f"  {line}")
    key = keys[name]
    record(f"{key}_modes", run.coverage.modes_covered)
    record(f"{key}_hq", 100 * run.coverage.high_quality, ".1f")
    record(f"{key}_d_real", r.d_real[-1], ".2f")
    record(f"{key}_d_fake", r.d_fake[-1], ".2f")
    record(f"{key}_spread", r.spread[-1], ".2f")
    record(f"{key}_checks", len(r.steps))
    record(f"{key}_judged", sum(step > r.warmup_steps for step in r.steps))  # checks after the warm-up
    for sign in SIGNS:  # at how many checks, and from which step on, each sign was seen
        record(f"{key}_{sign}_seen", r.times_seen.get(sign, 0))
        record(f"{key}_{sign}_first", r.first_seen.get(sign))
first_judged = min(s for s in r.steps if s > r.warmup_steps)
record("first_judged", first_judged)  # the first check after the warm-up
firsts = sorted({step for run in results.values() for step in run.health.first_seen.values()})
record("first_seen_steps", firsts)
# the sentence the lesson's Exercise 2 asks about
if firsts == [first_judged]:
    sentence = f"All warnings of the docs run first appear at step {first_judged}"
elif firsts:
    steps = ", ".join(map(str, firsts[:-1])) + (" and " if len(firsts) > 1 else "") + str(firsts[-1])
    sentence = f"The warnings of the docs run first appear at step{'s' if len(firsts) > 1 else ''} {steps}"
else:
    sentence = "No warning appears in the docs run"
record("first_seen_sentence", sentence)

# %%
# The readings
# ------------
# Top row: D(x) (blue) and D(G(z)) (red), averaged over the monitor's window; the
# shaded bands are the "too confident" zones and the dotted line the equilibrium
# value 0.5.  Bottom row: G's spread relative to the data's, with the collapse
# threshold dashed.  A vertical line marks the first appearance of each warning.

fig = plot_monitor({name: run.health for name, run in results.items()}, label="monitor")
show_figures(args.save_figures)  # a window each; --save-figures DIR: PNG files
