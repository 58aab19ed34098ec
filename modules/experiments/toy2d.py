"""2-D GAN experiments: one recipe, one trainer, many variants, run side by side.

Lessons 12.1.4 to 12.1.6 compare losses and tricks on the ring of 8 and the grid of 25
Gaussians (:func:`modules.data.synthetic.toy_target`).  A :class:`ToyRecipe` names everything
that determines one run: the target, the loss, the tricks and the budget.
:func:`train_toy_gan` trains it with the shared :class:`~modules.game.GANTrainer`
(plus a :class:`~modules.evaluation.monitor.HealthMonitor`) and scores 2,500 samples with
:func:`~modules.evaluation.metrics.mode_coverage`; the result is a :class:`ToyRun`.

:func:`toy_runs` runs many recipes: results already in the model cache are loaded,
the others are trained in up to ``workers`` processes at once (each run uses one CPU
thread, so a 2-core machine trains two runs at a time).  Every run is seeded on its
own, so the results do not depend on the number of workers or on which script asked
first: ``stabilization.py`` and ``mode_collapse.py`` share some runs through the
cache, but each trains whatever it does not find.

Introduced in lesson 12.1.4 (GAN Losses and Wasserstein GANs).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from modules.storage.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from modules.cli import Option, at_least, fail, non_negative, npy_path, or_exit, positive, setting
from modules.data.synthetic import TOY_TARGETS, GaussianMixture2D, normal_noise, toy_target
from modules.game.config import TrainConfig
from modules.game.history import History
from modules.game.loop import GANTrainer, build_optimizers
from modules.game.objective import objective_from_settings
from modules.game.runs import cached_runs, from_plain, plain
from modules.game.runtime import seed_everything
from modules.game.objective import OBJECTIVES
from modules.game.tricks import TRICKS, make_tricks
from modules.evaluation.metrics import ModeCoverage, mode_coverage
from modules.networks.mlp import MLPDiscriminator, MLPGenerator, PackedDiscriminator
from modules.evaluation.monitor import HealthMonitor, HealthReport

__all__ = ["ToyRecipe", "ToyRun", "PAPER_SETTINGS", "loss_recipe", "toy_runs_or_exit", "note_device", "save_samples_option", "build_toy_gan", "train_toy_gan", "toy_run", "toy_runs", "EVAL_SAMPLES"]

EVAL_SAMPLES = 2500  # samples scored per run, as in the VEEGAN and PacGAN papers


@dataclass(frozen=True)
class ToyRecipe:
    """Everything that determines one 2-D run.

    The defaults are the course's "vanilla" GAN: non-saturating loss, Adam (1e-3,
    betas 0.5/0.999) with the learning rate decaying linearly to zero, batches of
    128, G = 2 -> 128 -> 128 -> 128 -> 2 (ReLU), D = 2 -> 128 -> 128 -> 1 (LeakyReLU).
    ``tricks`` names entries of :data:`modules.game.tricks.TRICKS`; ``pack`` and
    ``unroll_steps`` set packing and unrolling when those tricks are on.
    ``n_critic`` is the number of D (critic) updates per G update.
    """

    target: str = setting("ring", "2-D target", choices=list(TOY_TARGETS))
    loss: str = "non_saturating"
    tricks: tuple[str, ...] = ()
    steps: int = setting(2000, "generator steps per run", at_least(1))
    batch_size: int = setting(128, "samples per batch", at_least(4))
    lr: float = setting(1e-3, "Adam learning rate (both players)", positive)
    lr_d: float | None = None
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = setting(1, "critic steps per generator step (Wasserstein losses)", at_least(1))
    latent_dim: int = 2
    g_hidden: tuple[int, ...] = (128, 128, 128)
    d_hidden: tuple[int, ...] = (128, 128)
    g_batch_norm: bool = False
    penalty_weight: float = setting(10.0, "gradient penalty weight lambda (wgan_gp)", non_negative)
    weight_clip: float = setting(0.01, "weight clipping bound c (wgan)", positive)
    pack: int = 4
    unroll_steps: int = 3
    lr_decay: str = "linear"
    optimizer: str = "adam"
    seed: int = 0
    snapshots: int = 5  # G's output on fixed noise this many times during the run

    def __post_init__(self) -> None:
        toy_target(self.target)  # raises for an unknown target
        if self.loss not in OBJECTIVES:
            raise ValueError(f"unknown loss {self.loss!r}; choose from {', '.join(OBJECTIVES)}")
        for name in self.tricks:
            if name not in TRICKS:
                raise ValueError(f"unknown trick {name!r}; choose from {', '.join(TRICKS)}")
        for name in ("steps", "batch_size", "n_critic", "latent_dim", "pack", "unroll_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1 (got {getattr(self, name)})")
        if self.penalty_weight < 0:
            raise ValueError(f"penalty weight must be >= 0 (got {self.penalty_weight})")
        if "pack" in self.tricks and self.batch_size % self.pack:
            raise ValueError(f"batch size {self.batch_size} is not a multiple of the pack size {self.pack}")

    @property
    def label(self) -> str:
        """A short name for tables and legends: the loss and the tricks."""
        parts = [] if self.loss == "non_saturating" else [self.loss]
        parts += list(self.tricks)
        return " + ".join(parts) or "vanilla"

    def target_mixture(self) -> GaussianMixture2D:
        return toy_target(self.target)


#: Optimiser settings the Wasserstein papers prescribe (Arjovsky et al., 2017: RMSprop,
#: learning rate 5e-5, 5 critic steps; Gulrajani et al., 2017: Adam 1e-4, betas
#: (0, 0.9), 5 critic steps).  The other losses keep the recipe's Adam settings.
PAPER_SETTINGS: dict[str, dict[str, Any]] = {
    "wgan": {"optimizer": "rmsprop", "lr": 5e-5, "n_critic": 5},
    "wgan_gp": {"lr": 1e-4, "betas": (0.0, 0.9), "n_critic": 5},
}


def loss_recipe(base: ToyRecipe, loss: str, n_critic: int | None = None, **changes: Any) -> ToyRecipe:
    """``base`` with another loss, and that loss's :data:`PAPER_SETTINGS` (``n_critic``
    overrides the paper's number of critic steps for the Wasserstein losses; the
    classic losses take one D step per G step)."""
    settings = dict(PAPER_SETTINGS.get(loss, {"n_critic": 1}))
    if n_critic is not None and loss in PAPER_SETTINGS:
        settings["n_critic"] = n_critic
    return replace(base, loss=loss, **settings, **changes)


def build_toy_gan(recipe: ToyRecipe, device: str = "cpu", callbacks=(), snapshot_every: int | None = None) -> GANTrainer:
    """The untrained G, D and trainer of ``recipe`` (weights seeded by
    ``recipe.seed``).  Architecture tricks are applied here: ``minibatch_std`` gives
    D the batch's spread as an extra input, ``pack`` wraps D in a
    :class:`~modules.networks.mlp.PackedDiscriminator`; the others go to the trainer, which
    puts each where it acts."""
    seed_everything(recipe.seed)
    pack = recipe.pack if "pack" in recipe.tricks else 1
    generator = MLPGenerator(recipe.latent_dim, (2,), hidden=recipe.g_hidden, activation="relu", batch_norm=recipe.g_batch_norm)
    discriminator = MLPDiscriminator((2 * pack,), hidden=recipe.d_hidden, minibatch_std="minibatch_std" in recipe.tricks)
    if pack > 1:
        discriminator = PackedDiscriminator(discriminator, pack)
    tricks = make_tricks(recipe.tricks, unrolled={"steps": recipe.unroll_steps})
    optimizers = build_optimizers(discriminator, generator, recipe.lr, lr_d=recipe.lr_d, betas=recipe.betas, kind=recipe.optimizer, tricks=tricks)
    config = TrainConfig(
        num_epochs=recipe.steps,
        batch_size=recipe.batch_size,
        lr_decay=recipe.lr_decay,
        d_steps=recipe.n_critic,
        seed=recipe.seed,
        device=device,
        snapshot_every=snapshot_every if snapshot_every is not None else max(1, recipe.steps // recipe.snapshots),
        num_snapshot_samples=EVAL_SAMPLES // 5,
        progress_unit="step",
        cpu_threads=1,
    )
    noise = functools.partial(normal_noise, dim=recipe.latent_dim)
    objective = objective_from_settings(recipe.loss, penalty_weight=recipe.penalty_weight, clip=recipe.weight_clip)
    others = [t for t in tricks if t.acts_on != "rates"]  # TTUR has acted: it set the optimisers' rates
    return GANTrainer(generator, discriminator, recipe.target_mixture(), noise, config, objective=objective, callbacks=callbacks, tricks=others, optimizers=optimizers)


@dataclass
class ToyRun:
    """The outcome of one recipe: the coverage of 2,500 samples (kept in ``samples``),
    the training history, G's output on fixed noise over training, the health
    monitor's report and the training time in seconds."""

    recipe: ToyRecipe
    coverage: ModeCoverage
    samples: torch.Tensor
    history: History
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)
    health: HealthReport = field(default_factory=HealthReport)
    seconds: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": plain(self.recipe),
            "coverage": {**asdict(self.coverage), "counts": list(self.coverage.counts)},
            "samples": self.samples,
            "history": self.history.as_dict(),
            "snapshots": [[step, x] for step, x in self.snapshots],
            "health": self.health.as_dict(),
            "seconds": self.seconds,
            "extras": self.extras,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToyRun:
        recipe = from_plain(ToyRecipe, data["recipe"])
        coverage = ModeCoverage(**{**data["coverage"], "counts": tuple(data["coverage"]["counts"])})
        history = History(**data["history"])
        return cls(
            recipe,
            coverage,
            data["samples"],
            history,
            [(int(s), x) for s, x in data["snapshots"]],
            HealthReport.from_dict(data["health"]),
            float(data["seconds"]),
            dict(data.get("extras", {})),
        )


def train_toy_gan(recipe: ToyRecipe, device: str = "cpu", progress: bool = False) -> ToyRun:
    """Train ``recipe`` once and score it (no cache; see :func:`toy_run`)."""
    monitor = HealthMonitor(every=max(1, recipe.steps // 40), window=max(1, recipe.steps // 40))
    trainer = build_toy_gan(recipe, device=device, callbacks=[monitor])
    trainer.config.progress = progress
    start = time.perf_counter()
    history = trainer.fit()
    seconds = time.perf_counter() - start
    target = recipe.target_mixture()
    samples = trainer.sample(EVAL_SAMPLES, generator=torch.Generator().manual_seed(recipe.seed + 2024))
    coverage = mode_coverage(samples, target.centre_tensor(), target.std)
    snapshots = [(step, x) for step, x in history.snapshots]
    history.snapshots = []
    extras: dict[str, Any] = {}
    if recipe.loss in ("wgan", "wgan_gp"):
        from modules.game.terms import input_gradient_norms, interpolates

        rng = torch.Generator().manual_seed(recipe.seed + 99)
        n = EVAL_SAMPLES - EVAL_SAMPLES % (recipe.pack if "pack" in recipe.tricks else 1)  # whole packs only
        real = target(n, generator=rng)
        x_hat = interpolates(real, samples[:n], generator=rng)
        extras["grad_norms"] = input_gradient_norms(trainer.discriminator.cpu(), x_hat).detach()
    return ToyRun(recipe, coverage, samples, history, snapshots, monitor.report, seconds, extras)


def toy_run(recipe: ToyRecipe, use_cache: bool = True) -> ToyRun:
    """The :class:`ToyRun` of ``recipe``: from the model cache when there, else
    trained now and cached (unless ``use_cache`` is False)."""
    return toy_runs([recipe], workers=1, use_cache=use_cache)[0]


def toy_runs(recipes: list[ToyRecipe], workers: int | None = None, use_cache: bool = True) -> list[ToyRun]:
    """:func:`toy_run` for every recipe, in order, through
    :func:`~modules.game.runs.cached_runs`: runs found in the model cache are
    loaded; the missing ones are trained in up to ``workers`` worker processes
    (default: one per CPU core; 1 trains them here, one after the other)."""
    return cached_runs("toy", recipes, train_toy_gan, save_run, load_run, workers=workers, cost=_cost, use_cache=use_cache)


def toy_runs_or_exit(plan: Callable[[], Any], workers: int | None = None) -> Any:
    """:func:`toy_runs` for a script: ``plan()`` builds the recipes, as a list or as a
    dict (name -> recipe), and the runs come back in the same shape.  Settings that
    make a recipe impossible (a batch that packs of 4 do not divide, say) end the
    script with one line on stderr and exit status 2, a run that diverges with one
    line and :data:`~modules.cli.DIVERGED` (:func:`~modules.cli.or_exit`)."""
    try:
        recipes = plan()
    except ValueError as err:
        fail(str(err))
    names = list(recipes) if isinstance(recipes, dict) else None
    runs = or_exit(toy_runs, [recipes[n] for n in names] if names is not None else list(recipes), workers)
    return dict(zip(names, runs)) if names is not None else runs


def save_run(run: ToyRun, recipe: ToyRecipe, path: Path) -> None:
    """Write ``run`` (of ``recipe``) to ``path``, its file in the model cache."""
    save_checkpoint({"run": run.to_dict()}, path, kind="toy-run")


def load_run(recipe: ToyRecipe, path: Path) -> ToyRun | None:
    """The run of ``recipe`` saved at ``path``, or ``None`` when it is missing or unusable."""
    try:
        run = ToyRun.from_dict(load_checkpoint(path, kind="toy-run")["run"])
    except (CheckpointError, KeyError, TypeError, ValueError):
        return None
    return run if run.recipe == recipe else None


def _cost(recipe: ToyRecipe) -> float:
    """A rough relative cost, to start the longest runs first."""
    d_updates = recipe.n_critic + (recipe.unroll_steps if "unrolled" in recipe.tricks else 0)
    penalty = 2.0 if recipe.loss == "wgan_gp" else 1.0
    return recipe.steps * recipe.batch_size * (1 + d_updates * penalty)


def save_samples_option(whose: str) -> Option:
    """``--save-samples PATH``: where a 2-D script writes ``whose`` 2,500 evaluated
    samples as a ``.npy`` array of shape (2500, 2)."""
    return Option("save_samples", None, str, f"write {whose} 2,500 evaluated samples to this .npy file", npy_path)


def note_device(device: str) -> None:
    """Scripts accept ``--device`` like every lesson script, but the 2-D runs are tiny
    networks that train fastest on CPU cores (a GPU spends longer launching kernels
    than computing): say so instead of silently ignoring the flag."""
    if str(device) != "cpu":
        print(f"note: --device {device} is not used here: the 2-D runs train on CPU cores, where these tiny networks are fastest")


