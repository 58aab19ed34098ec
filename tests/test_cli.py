"""Tests for modules.cli: constants to flags, presets, one-line errors, Jupyter, exits."""

from __future__ import annotations

import functools
import sys
import types

import pytest
import torch
from torch import nn

from modules.cli import Option, at_least, fail, parse_script_args, positive, train_or_exit
from modules.data.synthetic import GaussianTarget, normal_noise
from modules.networks.mlp import MLPDiscriminator, MLPGenerator
from modules.game.config import TrainConfig
from modules.game.history import History
from modules.game.loop import GANTrainer
from modules.game.runtime import resolve_device, seed_everything

PROG = "lesson.py"
OPTIONS = [
    Option("lr", 1e-3, float, "x", positive),
    Option("epochs", 100, int, "x", at_least(1)),
    Option("loss", "non_saturating", str, "x", choices=("non_saturating", "minimax")),
    Option("data_mean", 4.0, float, "x"),
]
DOCS = {"epochs": 5}
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="machine has CUDA")


@pytest.fixture(autouse=True)
def _script_env(monkeypatch):
    """Run as a plain script called lesson.py, outside Jupyter."""
    monkeypatch.setattr(sys, "argv", [f"/somewhere/{PROG}"])
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delenv("GAN_COURSE_PRESET", raising=False)


def parse(*argv, options=OPTIONS, docs=DOCS, **kw):
    return parse_script_args(options, docs, argv=list(argv), **kw)


def assert_one_line_error(capsys, code=2, prefix=f"{PROG}: error:"):
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(prefix), lines[0]
    assert "Traceback" not in captured.err
    assert "usage:" not in captured.err
    assert captured.out == ""
    return lines[0]


# ---------------------------------------------------------------------------
# presets and precedence
# ---------------------------------------------------------------------------
def test_full_preset_is_the_default_and_uses_constants():
    args = parse()
    assert args.preset == "full"
    assert (args.lr, args.epochs, args.loss, args.data_mean, args.seed) == (1e-3, 100, "non_saturating", 4.0, 0)
    assert args.device == str(resolve_device("auto"))
    assert parse("--preset", "full").epochs == 100


def test_docs_preset_applies_preset_and_cpu():
    args = parse("--preset", "docs")
    assert args.preset == "docs"
    assert args.epochs == 5
    assert args.lr == 1e-3  # not in the preset: stays the constant
    assert args.device == "cpu"


def test_docs_preset_forces_cpu_even_with_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert parse().device == "cuda"  # full preset: auto picks the accelerator
    assert parse("--preset", "docs").device == "cpu"
    assert parse("--preset", "docs", "--device", "auto").device == "cuda"  # explicit wins


def test_explicit_flag_beats_preset():
    assert parse("--preset", "docs", "--epochs", "7").epochs == 7
    assert parse("--epochs", "7", "--preset", "docs").epochs == 7  # order does not matter
    # even when the explicit value equals the constant
    assert parse("--preset", "docs", "--epochs", "100").epochs == 100


def test_flags_are_parsed_with_their_types():
    args = parse("--lr", "0.05", "--data-mean", "-2.5", "--loss", "minimax", "--seed", "3", "--device", "cpu")
    assert args.lr == 0.05 and isinstance(args.lr, float)
    assert args.data_mean == -2.5
    assert args.loss == "minimax"
    assert args.seed == 3 and isinstance(args.seed, int)
    assert args.device == "cpu"


def test_seed_default_and_preset():
    assert parse(seed=11).seed == 11
    assert parse("--preset", "docs", docs={"seed": 5}).seed == 5


def test_docs_preset_with_unknown_option_raises_value_error():
    with pytest.raises(ValueError, match="typo_epochs"):
        parse(docs={"typo_epochs": 5})


def test_progress_false_when_stderr_not_a_tty(capsys):
    assert parse().progress is False
    assert parse("--preset", "docs").progress is False


def test_progress_true_only_for_full_preset_on_a_tty(monkeypatch):
    class FakeTTY:
        def isatty(self):
            return True

        def write(self, s):
            return len(s)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stderr", FakeTTY())
    assert parse().progress is True
    assert parse("--preset", "docs").progress is False


# ---------------------------------------------------------------------------
# bad input: exit 2, one line on stderr
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--lr", "-1"], "--lr must be a positive number"),
        (["--lr", "0"], "--lr must be a positive number"),
        (["--lr", "nan"], "--lr must be a positive number"),
        (["--lr", "abc"], "invalid float value"),
        (["--epochs", "0"], "--epochs must be >= 1"),
        (["--epochs", "2.5"], "invalid int value"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--loss", "hinge"], "invalid choice"),
        (["--device", "banana"], "unknown device"),
        (["--preset", "weird"], "invalid choice"),
        (["--bogus", "1"], "unrecognized arguments: --bogus 1"),
        (["--lr"], "expected one argument"),
        (["stray"], "unrecognized arguments: stray"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_values_exit_2_with_one_line(capsys, argv, fragment):
    with pytest.raises(SystemExit) as info:
        parse(*argv)
    assert info.value.code == 2
    line = assert_one_line_error(capsys)
    assert fragment in line


@NO_CUDA
def test_cuda_device_without_cuda_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        parse("--device", "cuda")
    assert info.value.code == 2
    assert "CUDA" in assert_one_line_error(capsys)


def test_docs_preset_value_is_checked_too(capsys):
    with pytest.raises(SystemExit) as info:
        parse("--preset", "docs", docs={"epochs": 0})
    assert info.value.code == 2
    assert "--epochs must be >= 1" in assert_one_line_error(capsys)


def test_fail_helper(capsys):
    with pytest.raises(SystemExit) as info:
        fail("something broke")
    assert info.value.code == 2
    assert assert_one_line_error(capsys) == f"{PROG}: error: something broke"


def test_checks():
    assert positive(1e-9) is None
    assert positive(0.0) and positive(-1.0) and positive(float("inf")) and positive(float("nan"))
    assert at_least(1)(1) is None
    assert at_least(1)(0) == "must be >= 1"


def test_custom_flag_name():
    opts = [Option("num_epochs", 10, int, "x", flag="--epochs")]
    assert parse("--epochs", "3", options=opts, docs={}).num_epochs == 3


# ---------------------------------------------------------------------------
# Jupyter
# ---------------------------------------------------------------------------
def test_preset_default_comes_from_the_environment(monkeypatch, capsys):
    """A notebook has no command line: GAN_COURSE_PRESET=docs picks the quick preset."""
    monkeypatch.setenv("GAN_COURSE_PRESET", "docs")
    assert parse().epochs == 5 and parse().preset == "docs"
    assert parse("--preset", "full").epochs == 100  # a flag still wins
    monkeypatch.setenv("GAN_COURSE_PRESET", "")
    assert parse().preset == "full"
    monkeypatch.setenv("GAN_COURSE_PRESET", "quick")
    with pytest.raises(SystemExit) as exit_:
        parse()
    assert exit_.value.code == 2
    assert "GAN_COURSE_PRESET is 'quick'; choose from docs, full" in assert_one_line_error(capsys)


def test_jupyter_arguments_are_ignored(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    args = parse("-f", "/run/user/kernel-123.json")
    assert args.epochs == 100 and args.lr == 1e-3
    args = parse("-f", "kernel.json", "--epochs", "3")
    assert args.epochs == 3  # known flags still count
    assert capsys.readouterr().err == ""


def test_jupyter_still_rejects_bad_values(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    with pytest.raises(SystemExit):
        parse("-f", "kernel.json", "--lr", "-1")
    assert_one_line_error(capsys)


def test_outside_jupyter_kernel_args_are_an_error(capsys):
    with pytest.raises(SystemExit) as info:
        parse("-f", "kernel.json")
    assert info.value.code == 2
    assert "unrecognized arguments" in assert_one_line_error(capsys)


# ---------------------------------------------------------------------------
# train_or_exit
# ---------------------------------------------------------------------------
class NaNDiscriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(1, 1)

    def forward(self, x):
        return self.lin(x) * float("nan")


def tiny_trainer(discriminator: nn.Module) -> GANTrainer:
    seed_everything(0)
    return GANTrainer(
        MLPGenerator(1, (1,), hidden=(4,)),
        discriminator,
        GaussianTarget(),
        functools.partial(normal_noise, dim=1),
        TrainConfig(num_epochs=3, batch_size=16),
    )


def test_train_or_exit_turns_divergence_into_exit_1(capsys):
    with pytest.raises(SystemExit) as info:
        train_or_exit(tiny_trainer(NaNDiscriminator()))
    assert info.value.code == 1
    line = assert_one_line_error(capsys, prefix=f"{PROG}: training diverged")
    assert "nan" in line and "epoch 1" in line


def test_train_or_exit_returns_history_on_success(capsys):
    history = train_or_exit(tiny_trainer(MLPDiscriminator((1,), hidden=(4,))))
    assert isinstance(history, History)
    assert history.epoch == [1, 2, 3]
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------------------
# Recipe settings: declared once on the recipe, made into flags by recipe_flags
# --------------------------------------------------------------------------------------
from dataclasses import dataclass, fields  # noqa: E402

from modules.cli import recipe_flags, setting  # noqa: E402


@dataclass(frozen=True)
class _Recipe:
    lr: float = setting(1e-3, "learning rate", positive)
    data_dir: str | None = setting(None, "a folder")
    steps: int = setting(10, "steps", at_least(1))
    hidden: tuple[int, ...] = (8, 8)  # not a setting: no flag can be made for it
    seed: int = 0

    def __post_init__(self):
        if self.steps > 1000:
            raise ValueError("steps above 1000 would take too long here")


def test_recipe_flags_take_type_help_and_check_from_the_recipe_and_the_default_from_the_script():
    lr, data_dir, steps = recipe_flags(_Recipe, lr=2e-4, data_dir=None, steps=5)
    assert (lr.name, lr.default, lr.type, lr.help, lr.check) == ("lr", 2e-4, float, "learning rate", positive)
    assert data_dir.type is str and steps.type is int and steps.default == 5
    assert recipe_flags(_Recipe, helps={"lr": "G's rate"}, lr=1.0)[0].help == "G's rate"
    with pytest.raises(ValueError, match="declares no setting 'hidden'"):
        recipe_flags(_Recipe, hidden=(4,))


def test_flags_from_a_recipe_parse_check_and_become_the_recipe():
    args = parse("--preset", "docs", "--lr", "0.5", options=recipe_flags(_Recipe, lr=1e-3, steps=20), docs={"steps": 2})
    assert args.recipe == _Recipe(lr=0.5, steps=2, seed=0)  # the docs preset, the flag, the recipe's default
    assert parse("--seed", "3", options=recipe_flags(_Recipe, lr=1e-3), docs={}).recipe.seed == 3
    assert not hasattr(parse(options=[], docs={}), "recipe")  # no recipe flags, no recipe


def test_two_recipes_from_prefixed_flags_with_fixed_settings():
    options = [
        *recipe_flags(_Recipe, prefix="ring", fixed={"data_dir": "ring"}, steps=20, helps={"steps": "steps on the ring"}),
        *recipe_flags(_Recipe, prefix="grid", fixed={"data_dir": "grid"}, steps=30, lr=0.1),
    ]
    assert [o.option_string for o in options] == ["--ring-steps", "--grid-steps", "--grid-lr"]
    assert options[0].help == "steps on the ring"
    args = parse("--ring-steps", "7", "--grid-lr", "0.2", options=options, docs={"grid_steps": 3})
    assert args.ring_recipe == _Recipe(steps=7, data_dir="ring")
    assert args.grid_recipe == _Recipe(steps=30, lr=0.2, data_dir="grid")
    assert parse("--preset", "docs", options=options, docs={"grid_steps": 3}).grid_recipe.steps == 3


def test_a_setting_the_recipe_refuses_ends_with_one_line_and_status_2(capsys):
    with pytest.raises(SystemExit) as stop:
        parse("--steps", "5000", options=recipe_flags(_Recipe, steps=20), docs={})
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "steps above 1000" in err


@pytest.mark.parametrize("recipe_type", ["modules.experiments.dcgan:GANRecipe", "modules.experiments.toy2d:ToyRecipe", "modules.experiments.translation:Pix2PixRecipe", "modules.experiments.translation:CycleGANRecipe", "modules.experiments.stylegan:StyleRecipe"])
def test_every_setting_of_the_lessons_recipes_makes_a_flag_whose_default_passes_its_check(recipe_type):
    import importlib

    module, _, name = recipe_type.partition(":")
    recipe = getattr(importlib.import_module(module), name)
    declared = {f.name: f.default for f in fields(recipe) if "help" in f.metadata}
    assert declared, f"{name} declares no settings"
    for option in recipe_flags(recipe, **declared):
        assert option.help
        if option.default is not None and option.check is not None:
            assert option.check(option.default) is None, f"{name}.{option.name}'s own default fails its check"
        if option.choices is not None:
            assert option.default in option.choices


def test_divergence_has_one_exit_status_here_and_in_worker_processes(capsys, tmp_path, monkeypatch):
    """A NaN run ends a script with DIVERGED (1), whether it trained in this process
    (train_or_exit) or in a worker process (toy_runs_or_exit passes it on)."""
    from modules.cli import DIVERGED
    from modules.experiments.toy2d import ToyRecipe, toy_runs_or_exit

    assert DIVERGED == 1  # the Setup page says so
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    with pytest.raises(SystemExit) as here:
        train_or_exit(tiny_trainer(NaNDiscriminator()))
    assert here.value.code == DIVERGED
    capsys.readouterr()
    recipes = [ToyRecipe(steps=30, batch_size=8, lr=1e30, seed=s, g_hidden=(8,), d_hidden=(8,)) for s in (0, 1)]
    with pytest.raises(SystemExit) as worker:
        toy_runs_or_exit(lambda: recipes, workers=2)
    assert worker.value.code == DIVERGED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "diverged" in err and "Traceback" not in err


import lesson_checks  # noqa: E402
from lesson_checks import recipe_presets  # noqa: E402


def test_recipe_presets_reads_a_scripts_recipe_flags_constants_and_docs_preset(tmp_path, monkeypatch):
    script = tmp_path / "probe.py"
    script.write_text('LR = 0.1\nSTEPS = 9\nSEED = 3\nDOCS_PRESET = {"steps": 2, "other": 1}\n'
                      'flags = recipe_flags(R, fixed={"loss": "x"}, lr=LR, steps=STEPS, data_dir=None, helps={"lr": "x"})\n')  # fmt: skip
    monkeypatch.setattr(lesson_checks, "script_path", lambda name: script)
    assert recipe_presets("probe") == {
        "full": {"loss": "x", "lr": 0.1, "steps": 9, "data_dir": None, "seed": 3},
        "docs": {"loss": "x", "lr": 0.1, "steps": 2, "data_dir": None, "seed": 3},
    }
