"""Turn a script's top-of-file constants into command-line flags.

Every lesson script declares its hyperparameters as constants at the top (what the
exercises ask students to edit) and hands them to :func:`parse_script_args` as
:class:`Option` objects.  The result is the run's configuration:

* the constant is the default (and the *full* preset: what ``python script.py`` runs);
* ``--preset docs`` (what the site build passes) replaces the budget-type values with
  the script's small ``DOCS_PRESET`` so the whole script runs in seconds on a CPU;
* a flag given explicitly beats both.

Bad values end the program with one line on stderr and exit status 2, never a
traceback.  Jupyter adds arguments of its own, so those are ignored inside a kernel;
anywhere else an unknown flag is an error (a typo should not be silently ignored).  A
notebook has no command line: the environment variable ``GAN_COURSE_PRESET=docs`` (for
example ``%env GAN_COURSE_PRESET=docs`` in its first cell) makes the docs preset the
default there, or anywhere else.

Introduced in lesson 12.1.1 (GAN Architecture).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace, UnionType
from typing import Any

from modules.storage.checkpoints import CheckpointError
from modules.data.images import DatasetUnavailable
from modules.figures.output import writable_folder
from modules.networks.dcgan import check_image_size
from modules.game.history import History
from modules.game.loop import GANTrainer
from modules.game.runtime import TrainingDiverged, resolve_device
from modules.game.tensorboard import TensorBoardLogger, missing as tensorboard_missing
from modules.game.state import fit_or_load

__all__ = [
    "Option",
    "setting",
    "RecipeSlot",
    "recipe_flags",
    "parse_script_args",
    "positive",
    "at_least",
    "fraction",
    "image_size",
    "one_of",
    "name_list",
    "non_negative",
    "npy_path",
    "save_samples",
    "sample_png_options",
    "tensorboard_option",
    "tensorboard_callbacks",
    "fail",
    "or_exit",
    "train_or_exit",
    "DIVERGED",
]

PRESETS = ("docs", "full")


def fail(message: str, prog: str | None = None) -> None:
    """Print ``prog: error: message`` as one line on stderr and exit with status 2."""
    prog = prog or os.path.basename(sys.argv[0] or "script")
    message = " ".join(str(message).split())  # always one line
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def positive(value: float) -> str | None:
    """Check: a finite number above zero."""
    if not (math.isfinite(value) and value > 0):
        return "must be a positive number"
    return None


def at_least(minimum: float) -> Callable[[float], str | None]:
    """Check: at least ``minimum`` (for counts such as epochs or steps)."""

    def check(value: float) -> str | None:
        if value < minimum:
            return f"must be >= {minimum}"
        return None

    return check


def fraction(value: float) -> str | None:
    """Check: a number in [0, 1) (a decay, a probability)."""
    if not (math.isfinite(value) and 0 <= value < 1):
        return "must be in [0, 1)"
    return None


def non_negative(value: float) -> str | None:
    """Check: a finite number of at least zero (a loss or penalty weight)."""
    if not (math.isfinite(value) and value >= 0):
        return "must be a number >= 0"
    return None


def name_list(text: str) -> list[str]:
    """Flag type: ``"a,b , c"`` -> ``["a", "b", "c"]`` (empty entries dropped)."""
    return [name.strip() for name in str(text).split(",") if name.strip()]


def one_of(known: Sequence[str]) -> Callable[[Any], str | None]:
    """Check: a name (or every name of a comma-separated list) from ``known``."""

    def check(value: Any) -> str | None:
        names = value if isinstance(value, (list, tuple)) else [value]
        unknown = [n for n in names if n not in known]
        if unknown:
            return f"names unknown {'entry' if len(unknown) == 1 else 'entries'} {', '.join(map(repr, unknown))}; choose from {', '.join(known)}"
        return None

    return check


def npy_path(value: str) -> str | None:
    """Check: a ``.npy`` file path whose folder exists (the file is written later)."""
    path = os.path.expanduser(value)
    folder = os.path.dirname(path) or "."
    if not path.endswith(".npy"):
        return "must be a file name ending in .npy"
    if not os.path.isdir(folder):
        return f"cannot be written: the folder {folder!r} does not exist"
    if os.path.isdir(path):
        return "is a folder, not a file name"
    return None


def save_samples(path: str | None, samples: Any) -> None:
    """Write samples to ``path`` as a NumPy ``.npy`` file (``--save-samples``); an
    unwritable path ends the script with one line and exit status 2."""
    if not path:
        return
    import numpy as np

    try:
        np.save(os.path.expanduser(path), samples.detach().cpu().numpy() if hasattr(samples, "detach") else np.asarray(samples))
    except OSError as err:
        fail(f"--save-samples: cannot write {path}: {err.strerror or err}")
    print(f"saved {len(samples)} samples to {path}")


def sample_png_options(count: int = 1000) -> list[Option]:
    """``--sample-pngs DIR`` and ``--sample-count N`` of the scripts that train an image
    generator: N samples of the trained generator, one PNG file each, the folder that
    FID tools (pytorch-fid, clean-fid) read (:func:`~modules.figures.output.export_samples`)."""
    return [
        Option("sample_pngs", None, str, "write --sample-count samples of the trained generator to this folder, one PNG each (what FID tools read)", writable_folder, flag="--sample-pngs"),
        Option("sample_count", count, int, "how many samples --sample-pngs writes", at_least(1)),
    ]


def _tensorboard_folder(value: str) -> str | None:
    return tensorboard_missing() or writable_folder(value)


def tensorboard_option() -> Option:
    """``--tensorboard DIR``: also log the run for TensorBoard
    (:class:`~modules.game.tensorboard.TensorBoardLogger`); without the optional
    ``tensorboard`` package the flag is refused with one line, before training."""
    return Option(
        "tensorboard", None, str,
        "also log the run to this folder for TensorBoard: losses, D(x), D(G(z)) and the fixed-noise grid (pip install 'gan-course[tensorboard]')",
        _tensorboard_folder, flag="--tensorboard",
    )


def tensorboard_callbacks(folder: str | None, steps: int) -> list[TensorBoardLogger]:
    """The callbacks ``--tensorboard`` asks for: none, or a logger drawing the grid
    about 50 times over the run."""
    return [TensorBoardLogger(folder, every=max(1, steps // 50))] if folder else []


def image_size(value: int) -> str | None:
    """Check: an image size the DCGAN layout can produce (a power of two, 8 to 1024)."""
    try:
        check_image_size(value)
    except ValueError:
        return "must be a power of two from 8 to 1024, because the DCGAN layout doubles a 4x4 map (try 32 or 64)"
    return None


@dataclass(frozen=True)
class RecipeSlot:
    """Where a recipe flag's value goes: field ``field`` of the ``recipe_type`` that
    :func:`parse_script_args` builds as ``args.recipe`` (``args.<prefix>_recipe``
    with a prefix), with the ``fixed`` settings the script does not expose."""

    recipe_type: type
    field: str
    prefix: str = ""
    fixed: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> tuple[type, str, tuple[tuple[str, Any], ...]]:
        """What the flags of one recipe share: its type, prefix and fixed settings."""
        return self.recipe_type, self.prefix, self.fixed


@dataclass(frozen=True)
class Option:
    """One hyperparameter: its name, default (the script's constant) and checks.

    ``name`` is the attribute on the parsed result (``data_mean``); the flag is
    ``--data-mean`` unless ``flag`` says otherwise.
    """

    name: str
    default: Any
    type: Callable[[str], Any] = float
    help: str = ""
    check: Callable[[Any], str | None] | None = None
    choices: Sequence[Any] | None = None
    flag: str | None = None
    recipe: RecipeSlot | None = None  # the recipe this flag sets a field of (recipe_flags)

    @property
    def option_string(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")


def setting(default: Any, help: str, check: Callable[[Any], str | None] | None = None, *, choices: Sequence[Any] | None = None) -> Any:
    """A field of a recipe (a frozen dataclass) that a script may expose as a flag,
    declared once: its default, its help text and its check.  Its type is the field's
    annotation.  :func:`recipe_flags` makes the flags of a script from these; the
    script's top-of-file constants give their defaults and its ``DOCS_PRESET`` their
    docs-preset values::

        lr: float = setting(2e-4, "Adam learning rate (both players)", positive)
    """
    return dataclasses.field(default=default, metadata={"help": help, "check": check, "choices": choices})


def _flag_type(annotation: Any) -> Callable[[str], Any]:
    """``float`` for ``float``, ``str`` for ``str | None``: what argparse converts to."""
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(kinds) == 1:
            return kinds[0]
    if annotation in (int, float, str):
        return annotation
    raise TypeError(f"a flag cannot be made for a setting of type {annotation!r}")


def recipe_flags(
    recipe_type: type,
    helps: Mapping[str, str] | None = None,
    prefix: str = "",
    fixed: Mapping[str, Any] | None = None,
    **defaults: Any,
) -> list[Option]:
    """The flags of the recipe settings a script exposes, in the order given: each
    keyword names a :func:`setting` of ``recipe_type`` and gives the flag's default
    (the script's constant).  Type, help and check come from the recipe; ``helps``
    rewords a help text where a script's context says more (``{"lr": "Adam learning
    rate of the classic losses"}``).

    :func:`parse_script_args` returns the recipe these flags describe as
    ``args.recipe``: the flags' values, ``--seed``, the ``fixed`` settings, and the
    recipe's defaults for the rest.  A ``prefix`` names the flags ``--ring-lr`` and
    the recipe ``args.ring_recipe``, for a script that trains two recipes."""
    hints = typing.get_type_hints(recipe_type)
    declared = {f.name: f for f in dataclasses.fields(recipe_type) if "help" in f.metadata}
    frozen = tuple(sorted((fixed or {}).items()))
    options = []
    for name, default in defaults.items():
        if name not in declared:
            raise ValueError(f"{recipe_type.__name__} declares no setting {name!r}; settings: {', '.join(declared)}")
        meta = declared[name].metadata
        helptext = (helps or {}).get(name, meta["help"])
        slot = RecipeSlot(recipe_type, name, prefix, frozen)
        flag_name = f"{prefix}_{name}" if prefix else name
        options.append(Option(flag_name, default, _flag_type(hints[name]), helptext, meta["check"], meta["choices"], recipe=slot))
    return options


def _recipes(options: Sequence[Option], values: Mapping[str, Any], prog: str) -> dict[str, Any]:
    """The recipes the parsed ``values`` of :func:`recipe_flags`' options describe,
    by attribute name (``recipe``, ``ring_recipe``); a recipe that refuses its
    settings (a ``ValueError`` from the recipe itself, such as a batch that packs of
    4 do not divide) ends the script with one line and exit status 2."""
    groups: dict[Any, dict[str, Any]] = {}
    for opt in options:
        if opt.recipe is not None:
            groups.setdefault(opt.recipe.key, {})[opt.recipe.field] = values[opt.name]
    recipes = {}
    for (recipe_type, prefix, fixed), given in groups.items():
        if "seed" in {f.name for f in dataclasses.fields(recipe_type)}:
            given.setdefault("seed", values["seed"])
        try:
            recipes[f"{prefix}_recipe" if prefix else "recipe"] = recipe_type(**given, **dict(fixed))
        except ValueError as err:
            fail(str(err), prog)
    return recipes


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default prints usage too
        fail(message.replace("\n", " "), self.prog)


def _defaults_text(opt: Option, docs_preset: Mapping[str, Any]) -> str:
    """`` (default: 3000; docs preset: 1000)``: what ``--help`` says of a flag's values in
    the two presets (the docs preset's only where it differs)."""
    parts = [] if opt.default is None else [f"default: {opt.default}"]
    if opt.name in docs_preset and docs_preset[opt.name] != opt.default:
        parts.append(f"docs preset: {docs_preset[opt.name]}")
    elif opt.name == "device":
        parts = ["default: auto", "docs preset: cpu"]
    return f" ({'; '.join(parts)})" if parts else ""


def _in_jupyter() -> bool:
    return "ipykernel" in sys.modules


def parse_script_args(
    options: Sequence[Option],
    docs_preset: Mapping[str, Any],
    description: str = "",
    argv: Sequence[str] | None = None,
    seed: int = 0,
) -> SimpleNamespace:
    """Parse flags for a lesson script; see the module docstring for the rules.

    Always present: ``--preset {docs,full}`` (default ``full``), ``--seed`` and
    ``--device {auto,cpu,cuda,cuda:N,mps}`` (``auto`` in the full preset, ``cpu`` in
    the docs preset).  The result also carries ``progress``: whether to draw a
    progress bar (full preset in a terminal), and ``recipe``: the recipe that the
    flags of :func:`recipe_flags` describe, when the script has them.
    """
    options = [
        *options,
        Option("seed", seed, int, "random seed (same seed, same result)", at_least(0)),
        Option("device", None, str, "auto, cpu, cuda, cuda:N or mps"),
        Option("save_figures", None, str, "also write every figure to this folder as <script>-<label>.png (for a machine without a display)", writable_folder, flag="--save-figures"),
    ]
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = os.path.basename(sys.argv[0] or "script")
    parser = _OneLineParser(prog=prog, description=description)
    # A notebook has no command line: GAN_COURSE_PRESET=docs picks the quick preset there
    default_preset = os.environ.get("GAN_COURSE_PRESET") or "full"
    if default_preset not in PRESETS:
        fail(f"GAN_COURSE_PRESET is {default_preset!r}; choose from {', '.join(PRESETS)}", prog)
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        default=default_preset,
        help="docs: the small run the site build uses (seconds on a CPU; it changes the values each flag "
        "below lists as 'docs preset'); full: the constants at the top (default)",
    )
    for opt in options:
        helptext = opt.help + _defaults_text(opt, docs_preset)
        parser.add_argument(
            opt.option_string,
            dest=opt.name,
            type=opt.type,
            choices=opt.choices,
            default=argparse.SUPPRESS,
            help=helptext,
        )
    explicit, unknown = parser.parse_known_args(argv)
    if unknown and not _in_jupyter():
        fail(f"unrecognized arguments: {' '.join(unknown)}", prog)

    preset = explicit.preset
    unknown_keys = set(docs_preset) - {opt.name for opt in options}
    if unknown_keys:  # a mistake in the script itself, not in the user's input
        raise ValueError(f"DOCS_PRESET names unknown options: {sorted(unknown_keys)}")

    values: dict[str, Any] = {opt.name: opt.default for opt in options}
    if preset == "docs":
        values.update(docs_preset)
        values["device"] = "cpu"
    values.update({k: v for k, v in vars(explicit).items() if k != "preset"})

    for opt in options:
        value = values[opt.name]
        if opt.name == "device":
            continue
        if opt.choices is not None and value not in opt.choices:
            fail(f"{opt.option_string} must be one of {', '.join(map(str, opt.choices))} (got {value!r})", prog)
        if opt.check is not None and value is not None and (problem := opt.check(value)):
            fail(f"{opt.option_string} {problem} (got {value})", prog)
    try:
        values["device"] = str(resolve_device(values["device"] or "auto"))
    except ValueError as err:
        fail(f"--device: {err}", prog)

    values.update(_recipes(options, values, prog))
    values["preset"] = preset
    values["progress"] = preset == "full" and sys.stderr.isatty()
    return SimpleNamespace(**values)


#: The exit status of a script whose training diverged (a NaN or inf loss), whichever
#: way it trained (here, in worker processes, from a recipe's cache); bad input is 2.
DIVERGED = 1


def or_exit(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, the one way a script runs what may fail:

    * input the user gave that cannot be used (data that cannot be loaded, an
      unusable checkpoint) ends the script with one line on stderr and exit status 2;
    * a run that diverged (NaN or inf loss: :class:`~modules.game.runtime.TrainingDiverged`,
      raised by the loop here or passed on from a worker process) ends it with one
      line and exit status :data:`DIVERGED`, instead of a traceback and garbage plots.
    """
    try:
        return function(*args, **kwargs)
    except (DatasetUnavailable, CheckpointError) as err:
        fail(str(err))
    except TrainingDiverged as err:
        prog = os.path.basename(sys.argv[0] or "script")
        print(f"{prog}: {' '.join(str(err).split())}", file=sys.stderr)
        raise SystemExit(DIVERGED) from None


def train_or_exit(trainer: GANTrainer, num_epochs: int | None = None, cache: str | None = None) -> History:
    """``trainer.fit(num_epochs)`` under :func:`or_exit`.  With ``cache`` (the script's
    name), the whole training goes through the model cache instead
    (:func:`~modules.game.state.fit_or_load`): a run trained before is loaded."""
    if cache is not None:
        if num_epochs is not None:
            raise ValueError("train_or_exit: the model cache keeps whole trainings; give num_epochs or cache, not both")
        return or_exit(fit_or_load, trainer, cache)
    return or_exit(trainer.fit, num_epochs)
