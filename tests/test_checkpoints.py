"""Tests for modules.storage.checkpoints, GANTrainer's checkpoints and the recipe cache.

The key quality gate is *resume equivalence*: a run saved after N rounds and resumed
in a fresh process-like trainer for M more rounds must end bit-for-bit where a run of
N + M rounds ends (weights, BatchNorm statistics, optimiser state, moving average,
random-number state and history).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest
import torch
from torch import nn

import modules.storage.checkpoints as checkpoints
from modules.storage.checkpoints import FORMAT, CheckpointError, cache_dir, cache_path, load_checkpoint, load_state, save_checkpoint
from modules.data.synthetic import GaussianTarget, normal_noise
from modules.data.images import load_image_dataset
from modules.networks.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init
from modules.networks.mlp import MLPDiscriminator, MLPGenerator
from modules.experiments.dcgan import GANRecipe, build_gan, pretrained_gan
from modules.game.config import TrainConfig
from modules.game.loop import GANTrainer
from modules.game.runtime import seed_everything
from course import ROOT

NOISE_1D = functools.partial(normal_noise, dim=1)
LATENT = 8


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits8():
    """The scikit-learn digits at their own 8x8 size (no download, no resizing)."""
    return load_image_dataset("digits", 8)


def make_trainer(init_seed: int = 0, hidden=(8,), **cfg) -> GANTrainer:
    """A tiny 1-D GAN; weights from seed_everything(init_seed), data stream from seed 0."""
    cfg.setdefault("num_epochs", 10)
    cfg.setdefault("batch_size", 16)
    cfg.setdefault("lr", 1e-2)
    seed_everything(init_seed)
    g = MLPGenerator(1, (1,), hidden=hidden)
    d = MLPDiscriminator((1,), hidden=hidden)
    return GANTrainer(g, d, GaussianTarget(), NOISE_1D, TrainConfig(seed=0, **cfg))


def make_dcgan(dataset, init_seed: int = 0, width: int = 4, **cfg) -> GANTrainer:
    """A DCGAN for 8x8 digits (BatchNorm in both players)."""
    cfg.setdefault("num_epochs", 10)
    cfg.setdefault("batch_size", 16)
    cfg.setdefault("lr", 2e-3)
    seed_everything(init_seed)
    g = DCGANGenerator(LATENT, 8, 1, width)
    d = DCGANDiscriminator(8, 1, width)
    g.apply(dcgan_init)
    d.apply(dcgan_init)
    noise = functools.partial(normal_noise, dim=LATENT)
    return GANTrainer(g, d, dataset.sample, noise, TrainConfig(seed=0, **cfg))


def params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def assert_equal_nested(a, b, where: str = "") -> None:
    """Exact equality of nested dicts/lists/tuples of tensors and plain values."""
    if torch.is_tensor(a) or torch.is_tensor(b):
        assert torch.is_tensor(a) and torch.is_tensor(b), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), where
        for key in a:
            assert_equal_nested(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_equal_nested(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_training_state(b: GANTrainer, c: GANTrainer) -> None:
    """Everything that determines how training goes on is bit-for-bit equal."""
    assert_equal_nested(b.generator.state_dict(), c.generator.state_dict(), "generator")  # params + BN buffers
    assert_equal_nested(b.discriminator.state_dict(), c.discriminator.state_dict(), "discriminator")
    if c.ema_generator is None:
        assert b.ema_generator is None
    else:
        assert_equal_nested(b.ema_generator.state_dict(), c.ema_generator.state_dict(), "ema_generator")
    assert_equal_nested(b.opt_g.state_dict(), c.opt_g.state_dict(), "opt_g")
    assert_equal_nested(b.opt_d.state_dict(), c.opt_d.state_dict(), "opt_d")
    assert torch.equal(b.rng.get_state(), c.rng.get_state())
    assert b.epoch == c.epoch
    assert (b.ema is None) == (c.ema is None)
    if c.ema is not None:
        assert b.ema.updates == c.ema.updates
    assert b.history.as_dict() == c.history.as_dict()


def one_line_error(info: pytest.ExceptionInfo) -> str:
    message = str(info.value)
    assert message.strip() and "\n" not in message, f"not a one-line message: {message!r}"
    return message


def valid_checkpoint(path: Path, kind: str = "gan") -> Path:
    return save_checkpoint({"weights": torch.arange(1000.0), "note": "hello"}, path, kind=kind)


# ---------------------------------------------------------------------------
# save_checkpoint / load_checkpoint
# ---------------------------------------------------------------------------
def test_round_trip_keeps_contents_and_adds_format_and_kind(tmp_path):
    payload = {"w": torch.randn(3, 4), "n": 7, "x": 0.25, "s": "text", "l": [1, 2, [3.0]], "none": None}
    path = tmp_path / "sub" / "dir" / "ckpt.pt"  # parent folders are created
    written = save_checkpoint(payload, path, kind="gan")
    assert written == path and path.is_file()
    data = load_checkpoint(path, kind="gan")
    assert data["format"] == FORMAT and data["kind"] == "gan"
    assert_equal_nested({k: data[k] for k in payload}, payload)
    assert set(data) == set(payload) | {"format", "kind"}


def test_load_returns_cpu_tensors_and_accepts_str_paths(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint({"w": torch.ones(2)}, str(path), kind="classifier")
    data = load_checkpoint(str(path), kind="classifier")
    assert data["w"].device.type == "cpu"


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint({"v": 1}, path, kind="gan")
    save_checkpoint({"v": 2}, path, kind="gan")
    assert load_checkpoint(path, kind="gan")["v"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()], ids=["RuntimeError", "KeyboardInterrupt"])
def test_failed_save_keeps_previous_checkpoint_and_removes_temp_file(tmp_path, monkeypatch, error):
    path = tmp_path / "ckpt.pt"
    save_checkpoint({"v": torch.arange(5)}, path, kind="gan")
    before = path.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a zip file")  # some bytes reach the (temporary) file ...
        raise error  # ... then the write dies

    monkeypatch.setattr(checkpoints.torch, "save", broken_save)
    with pytest.raises(type(error)):
        save_checkpoint({"v": torch.arange(9)}, path, kind="gan")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert torch.equal(load_checkpoint(path, kind="gan")["v"], torch.arange(5))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    def broken_save(obj, f, *args, **kwargs):
        f.write(b"garbage")
        raise OSError("no space left on device")

    monkeypatch.setattr(checkpoints.torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint({"v": 1}, tmp_path / "ckpt.pt", kind="gan")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# every unusable file -> CheckpointError with one line
# ---------------------------------------------------------------------------
def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path / "nope.pt", kind="gan")
    assert "nope.pt" in one_line_error(info)


def test_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path, kind="gan")
    one_line_error(info)


@pytest.mark.parametrize("fraction", [0.5, 0.0, 0.1, 0.9])
def test_truncated_file(tmp_path, fraction):
    path = valid_checkpoint(tmp_path / "ckpt.pt")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, kind="gan")
    assert "ckpt.pt" in one_line_error(info)




@pytest.mark.parametrize(
    "text",
    [
        "# my notes\nnot a checkpoint\n",
        "lorem ipsum\n",
        '{"a": 1}\n',
        "",
        "these are my notes\nnot a checkpoint\n",
        "hello world\n",
        "a,b,c\n1,2,3\n",
    ],
    ids=["hash", "lorem", "json", "empty", "these-notes", "hello-world", "csv"],
)
def test_text_file(tmp_path, text):
    path = tmp_path / "notes.pt"
    path.write_text(text)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, kind="gan")
    one_line_error(info)


@pytest.mark.parametrize("data", [b"\x00" * 300, b"\xff" * 300, bytes(range(256)), b"PK\x03\x04" + b"\x00" * 300], ids=["zeros", "ones", "ramp", "zip-head"])
def test_binary_garbage(tmp_path, data):
    path = tmp_path / "junk.pt"
    path.write_bytes(data)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, kind="gan")
    one_line_error(info)


@pytest.mark.parametrize(
    "obj",
    [{"generator": {"w": torch.zeros(2)}, "epoch": 3}, {"format": "someone-elses-v1", "kind": "gan"}, [1, 2, 3], torch.zeros(3)],
    ids=["plain-dict", "wrong-format", "list", "tensor"],
)
def test_foreign_torch_file(tmp_path, obj):
    path = tmp_path / "foreign.pt"
    torch.save(obj, path)
    with pytest.raises(CheckpointError, match="marker") as info:
        load_checkpoint(path, kind="gan")
    one_line_error(info)


def test_checkpoint_of_another_kind(tmp_path):
    path = valid_checkpoint(tmp_path / "clf.pt", kind="classifier")
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, kind="gan")
    message = one_line_error(info)
    assert "classifier" in message and "gan" in message
    assert load_checkpoint(path, kind="classifier")["note"] == "hello"


SIDE_EFFECTS: list[str] = []


def _record_side_effect(tag: str) -> str:
    SIDE_EFFECTS.append(tag)
    return tag


class Sneaky:
    """Unpickling it calls _record_side_effect: the code a malicious file would run."""

    def __reduce__(self):
        return (_record_side_effect, ("reduce ran",))


class Stateful:
    """Unpickling it calls __setstate__."""

    def __init__(self) -> None:
        self.x = 1

    def __setstate__(self, state) -> None:
        SIDE_EFFECTS.append("setstate ran")
        self.__dict__.update(state)


@pytest.mark.parametrize("cls", [Sneaky, Stateful])
def test_file_needing_arbitrary_classes_is_refused_without_running_code(tmp_path, cls):
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "kind": "gan", "payload": cls()}, path)
    SIDE_EFFECTS.clear()
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path, kind="gan")
    one_line_error(info)
    assert SIDE_EFFECTS == []
    # the test is not vacuous: an unsafe load of the same file does run the code
    torch.load(path, weights_only=False)
    assert SIDE_EFFECTS
    SIDE_EFFECTS.clear()


# ---------------------------------------------------------------------------
# GANTrainer.save_checkpoint / load_checkpoint
# ---------------------------------------------------------------------------
def test_trainer_checkpoint_has_kind_gan_and_extra_entries(tmp_path):
    t = make_trainer()
    t.fit(2)
    path = tmp_path / "run.pt"
    t.save_checkpoint(path, note="extra")
    data = load_checkpoint(path, kind="gan")
    assert data["note"] == "extra" and data["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]
    with pytest.raises(CheckpointError):
        load_checkpoint(path, kind="classifier")


def test_trainer_refuses_a_classifier_checkpoint(tmp_path):
    path = valid_checkpoint(tmp_path / "clf.pt", kind="classifier")
    with pytest.raises(CheckpointError) as info:
        make_trainer().load_checkpoint(path)
    one_line_error(info)


def test_trainer_refuses_missing_and_corrupt_files(tmp_path):
    t = make_trainer()
    with pytest.raises(CheckpointError):
        t.load_checkpoint(tmp_path / "missing.pt")
    t.fit(1)
    path = tmp_path / "run.pt"
    t.save_checkpoint(path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError) as info:
        make_trainer().load_checkpoint(path)
    one_line_error(info)


def test_trainer_refuses_incomplete_checkpoint(tmp_path):
    t = make_trainer()
    state = t.state_dict()
    del state["opt_g"]
    path = save_checkpoint(state, tmp_path / "old.pt", kind="gan")
    with pytest.raises(CheckpointError, match="incomplete") as info:
        make_trainer().load_checkpoint(path)
    one_line_error(info)


def test_mlp_checkpoint_of_a_different_width(tmp_path):
    path = tmp_path / "wide.pt"
    make_trainer(hidden=(16,)).save_checkpoint(path)
    with pytest.raises(CheckpointError, match="different") as info:
        make_trainer(hidden=(8,)).load_checkpoint(path)
    one_line_error(info)


def test_dcgan_checkpoint_of_a_different_width(tmp_path, digits8):
    path = tmp_path / "dcgan.pt"
    make_dcgan(digits8, width=8).save_checkpoint(path)
    with pytest.raises(CheckpointError, match="different") as info:
        make_dcgan(digits8, width=4).load_checkpoint(path)
    one_line_error(info)


def test_generator_not_a_dict(tmp_path):
    state = make_trainer().state_dict()
    state["generator"] = [1, 2, 3]
    path = save_checkpoint(state, tmp_path / "odd.pt", kind="gan")
    with pytest.raises(CheckpointError, match="generator") as info:
        make_trainer().load_checkpoint(path)
    one_line_error(info)


def test_load_state_helper_message():
    with pytest.raises(CheckpointError, match="different classifier architecture") as info:
        load_state(nn.Linear(2, 3), nn.Linear(2, 4).state_dict(), "classifier", "x.pt")
    one_line_error(info)


# ---------------------------------------------------------------------------
# resume equivalence: save after N, resume in a fresh trainer for M == N + M straight
# ---------------------------------------------------------------------------
def resume_check(tmp_path, make, n: int, m: int):
    """A trains n rounds and saves; B (new random init) loads and trains m more;
    C trains n + m straight.  Returns (B, C)."""
    path = tmp_path / "resume.pt"
    a = make(0)
    a.fit(n)
    a.save_checkpoint(path)
    b = make(123)
    assert not same(params(b.generator), params(a.generator))  # the load must do the work
    data = b.load_checkpoint(path)
    assert data["epoch"] == n and b.epoch == n
    assert_same_training_state(b, a)  # right after loading, B *is* A
    b.fit(m)
    c = make(0)
    c.fit(n + m)
    assert b.history.epoch == list(range(1, n + m + 1))
    assert_same_training_state(b, c)
    return b, c


@pytest.mark.parametrize("lr_decay", ["none", "linear"])
def test_resume_equals_straight_run_mlp(tmp_path, lr_decay):
    n, m = 6, 5
    b, c = resume_check(tmp_path, lambda s: make_trainer(s, num_epochs=n + m, lr_decay=lr_decay), n, m)
    if lr_decay == "linear":
        assert b.opt_g.param_groups[0]["lr"] == pytest.approx(1e-2 * (1 - (n + m - 1) / (n + m)))


def test_resume_equals_straight_run_dcgan_with_ema_and_batchnorm(tmp_path, digits8):
    n, m = 3, 3
    b, c = resume_check(tmp_path, lambda s: make_dcgan(digits8, s, num_epochs=n + m, ema_decay=0.9), n, m)
    bn = [k for k in b.generator.state_dict() if "running_mean" in k]
    assert bn, "the DCGAN generator should have BatchNorm buffers"
    assert b.ema.updates == n + m
    # the restored moving average produces the same samples as the straight run's
    z = torch.randn(4, LATENT, generator=torch.Generator().manual_seed(5))
    assert torch.equal(b.generate(z, ema=True), c.generate(z, ema=True))


def test_resume_with_snapshots_keeps_them(tmp_path):
    n, m = 4, 4
    b, c = resume_check(tmp_path, lambda s: make_trainer(s, num_epochs=n + m, snapshot_every=2, num_snapshot_samples=8), n, m)
    assert [e for e, _ in b.history.snapshots] == [e for e, _ in c.history.snapshots] == [0, 2, 4, 6, 8]
    for (_, x), (_, y) in zip(b.history.snapshots, c.history.snapshots):
        assert torch.equal(x, y)


def test_resume_needs_the_rng_state(tmp_path):
    """Without the saved random-number state a resumed run goes elsewhere: the
    equivalence above is not an accident of identical batches."""
    n, m = 6, 5
    path = tmp_path / "resume.pt"
    a = make_trainer(0, num_epochs=n + m)
    a.fit(n)
    a.save_checkpoint(path)
    c = make_trainer(0, num_epochs=n + m)
    c.fit(n + m)

    # everything restored except the rng (which starts over from the seed)
    b = make_trainer(123, num_epochs=n + m)
    b.load_checkpoint(path)
    b.rng = torch.Generator().manual_seed(b.config.seed)
    b.fit(m)
    assert not same(params(b.generator), params(c.generator))
    assert b.history.d_loss[n:] != c.history.d_loss[n:]

    # only the weights restored (no rng, no optimiser state)
    w = make_trainer(123, num_epochs=n + m)
    data = load_checkpoint(path, kind="gan")
    w.generator.load_state_dict(data["generator"])
    w.discriminator.load_state_dict(data["discriminator"])
    w.fit(m)
    assert not same(params(w.generator), params(c.generator))

    # and the full restore does match (same setup as the two above)
    full = make_trainer(123, num_epochs=n + m)
    full.load_checkpoint(path)
    full.fit(m)
    assert same(params(full.generator), params(c.generator))


def test_saving_does_not_change_the_run(tmp_path):
    a = make_trainer(0)
    a.fit(3)
    a.save_checkpoint(tmp_path / "x.pt")
    a.fit(3)
    c = make_trainer(0)
    c.fit(6)
    assert_same_training_state(a, c)


# ---------------------------------------------------------------------------
# the model cache
# ---------------------------------------------------------------------------
def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2
    if value is None:
        return "somewhere"
    return f"{value}-other"


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path / "models"))
    assert cache_dir() == tmp_path / "models"
    assert cache_path("gan", {"a": 1}).parent == tmp_path / "models"
    monkeypatch.delenv("GAN_COURSE_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "gan-course" / "models"


def test_cache_path_changes_with_every_recipe_field(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    base = dataclasses.asdict(GANRecipe())
    paths = {cache_path("gan", base)}
    for key, value in base.items():
        changed = {**base, key: _changed(value)}
        assert changed != base
        paths.add(cache_path("gan", changed))
    assert len(paths) == len(base) + 1  # every field change gives a new file


def test_cache_path_is_stable_for_equal_specs(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    spec = dataclasses.asdict(GANRecipe(width=4))
    reordered = dict(reversed(list(spec.items())))
    assert cache_path("gan", spec) == cache_path("gan", dict(spec)) == cache_path("gan", reordered)
    assert cache_path("gan", dataclasses.asdict(GANRecipe(width=4))) == cache_path("gan", spec)
    assert cache_path("gan", spec) != cache_path("classifier", spec)
    assert cache_path("gan", spec).name.startswith("gan-") and cache_path("gan", spec).suffix == ".pt"


def test_cache_path_changes_with_source_code(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    spec = {"a": 1}
    monkeypatch.setattr(checkpoints, "source_fingerprint", lambda: "code-v1")
    first = cache_path("gan", spec)
    monkeypatch.setattr(checkpoints, "source_fingerprint", lambda: "code-v2")
    assert cache_path("gan", spec) != first


def test_source_fingerprint_sees_every_subpackage(tmp_path, monkeypatch):
    """A change anywhere in the package, a subpackage's file included, gives cached
    models a new key (the game's code decides a trained model as much as a recipe's)."""
    package = tmp_path / "modules"
    for path in (ROOT / "modules").rglob("*.py"):
        (package / path.relative_to(ROOT / "modules")).parent.mkdir(parents=True, exist_ok=True)
        (package / path.relative_to(ROOT / "modules")).write_bytes(path.read_bytes())
    monkeypatch.setattr(checkpoints, "__file__", str(package / "storage" / "checkpoints.py"))
    before = checkpoints.source_fingerprint()
    loop = package / "game" / "loop.py"
    loop.write_text(loop.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert checkpoints.source_fingerprint() != before


def test_source_fingerprint_is_a_stable_hash():
    assert checkpoints.source_fingerprint() == checkpoints.source_fingerprint()
    assert len(checkpoints.source_fingerprint()) == 64


@pytest.fixture
def fixed_fingerprint(monkeypatch):
    """The cache tests are about the cache, not the code hash: pin the hash so that an
    edit to modules/ while the tests run cannot rename the cache file mid-test."""
    monkeypatch.setattr(checkpoints, "source_fingerprint", lambda: "pinned-source")


# one CPU thread: with two threads on a busy 2-core machine even this tiny run takes seconds
TINY_RECIPE = GANRecipe(image_size=8, width=4, steps=3, batch_size=8, conditional=False, cpu_threads=1)


@pytest.fixture(scope="module")
def reference_gan(digits8) -> GANTrainer:
    """What TINY_RECIPE trains to, built and trained without the cache."""
    trainer = build_gan(TINY_RECIPE, digits8)
    trainer.fit()
    return trainer


def _no_training(self, *args, **kwargs):
    raise AssertionError("pretrained_gan trained although the cache held the model")


def test_pretrained_gan_trains_once_then_loads(tmp_path, monkeypatch, fixed_fingerprint, digits8, reference_gan):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    first = pretrained_gan(TINY_RECIPE, dataset=digits8)
    assert first.epoch == TINY_RECIPE.steps
    assert_equal_nested(first.generator.state_dict(), reference_gan.generator.state_dict())
    path = cache_path("gan", dataclasses.asdict(TINY_RECIPE))
    assert path.is_file() and [p.name for p in tmp_path.iterdir()] == [path.name]
    assert load_checkpoint(path, kind="gan")["recipe"] == dataclasses.asdict(TINY_RECIPE)

    monkeypatch.setattr(GANTrainer, "fit", _no_training)
    second = pretrained_gan(TINY_RECIPE, dataset=digits8)
    assert second is not first
    assert_equal_nested(second.generator.state_dict(), first.generator.state_dict())
    assert_equal_nested(second.ema_generator.state_dict(), first.ema_generator.state_dict())
    assert second.epoch == first.epoch and second.history.as_dict() == first.history.as_dict()


def test_pretrained_gan_loads_its_own_dataset(tmp_path, monkeypatch, fixed_fingerprint):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    t = pretrained_gan(TINY_RECIPE)
    assert t.generate(torch.zeros(2, TINY_RECIPE.latent_dim)).shape == (2, 1, 8, 8)


@pytest.mark.parametrize(
    "corruption",
    ["garbage", "truncated", "foreign", "text"],
)
def test_pretrained_gan_replaces_a_corrupt_cache_file(tmp_path, monkeypatch, fixed_fingerprint, digits8, reference_gan, corruption):
    clean = reference_gan
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path / "broken"))
    path = cache_path("gan", dataclasses.asdict(TINY_RECIPE))
    path.parent.mkdir(parents=True)
    if corruption == "garbage":
        path.write_bytes(bytes(range(256)) * 2)
    elif corruption == "text":
        path.write_text("these are not weights\n")
    elif corruption == "truncated":
        clean.save_checkpoint(path)
        path.write_bytes(path.read_bytes()[:200])
    else:
        torch.save({"generator": clean.generator.state_dict()}, path)
    retrained = pretrained_gan(TINY_RECIPE, dataset=digits8)  # no crash
    assert_equal_nested(retrained.generator.state_dict(), clean.generator.state_dict())
    data = load_checkpoint(path, kind="gan")  # the file was replaced by a good one
    assert data["epoch"] == TINY_RECIPE.steps

    monkeypatch.setattr(GANTrainer, "fit", _no_training)
    again = pretrained_gan(TINY_RECIPE, dataset=digits8)
    assert_equal_nested(again.generator.state_dict(), clean.generator.state_dict())




def test_failed_load_leaves_the_trainer_unchanged(tmp_path):
    path = tmp_path / "mixed.pt"
    seed_everything(7)
    g = MLPGenerator(1, (1,), hidden=(8,))
    d = MLPDiscriminator((1,), hidden=(16,))  # the generator fits, the discriminator does not
    GANTrainer(g, d, GaussianTarget(), NOISE_1D, TrainConfig(num_epochs=3, batch_size=16)).save_checkpoint(path)
    t = make_trainer(0)
    g0, d0 = params(t.generator), params(t.discriminator)
    with pytest.raises(CheckpointError, match="different discriminator"):
        t.load_checkpoint(path)
    assert same(params(t.generator), g0)  # restored although it had loaded fine
    # (and nn.Module.load_state_dict copies every tensor whose shape fits before it
    # raises, so D's output bias, shape (1,) in both, is overwritten as well)
    assert same(params(t.discriminator), d0)


def test_pretrained_gan_retrains_from_scratch_after_a_half_loadable_cache_file(
    tmp_path, monkeypatch, fixed_fingerprint, digits8, reference_gan
):
    """A cache file whose networks load but whose history does not must not leave
    its weights, round counter or rng behind in the model trained instead."""
    clean = reference_gan
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path / "broken"))
    path = cache_path("gan", dataclasses.asdict(TINY_RECIPE))
    state = clean.state_dict()
    del state["history"]  # e.g. a file written by an older version of the course
    save_checkpoint(state, path, kind="gan")
    retrained = pretrained_gan(TINY_RECIPE, dataset=digits8)
    assert retrained.epoch == TINY_RECIPE.steps
    assert_equal_nested(retrained.generator.state_dict(), clean.generator.state_dict())


# -- a trainer a script built itself, through the model cache (train_or_exit(cache=...)) --
def test_fit_or_load_trains_once_then_loads_the_same_run(tmp_path, monkeypatch):
    from modules.game.history import EvalEvery
    from modules.game.state import fit_or_load

    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    said = []
    measure = lambda trainer: trainer.sample(50, generator=torch.Generator().manual_seed(5)).mean().item()  # noqa: E731
    tracker = lambda: EvalEvery(5, measure, lambda epoch, record, value: said.append(value) or f"{epoch} {value}")  # noqa: E731

    first = make_trainer()
    first.callbacks = [tracker()]
    trained = fit_or_load(first, "tiny")
    assert first.epoch == 10 and len(trained.d_loss) == 10 and len(list(tmp_path.glob("trainer-*.pt"))) == 1

    again = make_trainer()
    again.callbacks = [tracker()]
    monkeypatch.setattr(again, "fit", lambda *a, **k: pytest.fail("a cached run trained again"))
    loaded = fit_or_load(again, "tiny")
    assert loaded.d_loss == trained.d_loss and again.callbacks[0].results == first.callbacks[0].results
    assert said[2:] == said[:2]  # the replay says again what the training said
    for a, b in zip(first.generator.state_dict().values(), again.generator.state_dict().values()):
        assert torch.equal(a, b)

    other = make_trainer(init_seed=1)  # other initial weights: another run
    fit_or_load(other, "tiny")
    assert len(list(tmp_path.glob("trainer-*.pt"))) == 2
    longer = make_trainer(num_epochs=12)  # another config: another run
    fit_or_load(longer, "tiny")
    assert longer.epoch == 12 and len(list(tmp_path.glob("trainer-*.pt"))) == 3


def test_code_fingerprint_is_the_same_in_a_script_and_in_a_notebook_cell():
    """A script's evaluate function and the same function in a notebook cell (where the
    module's ``import torch`` is in another cell) count as the same code; a changed
    body does not.  CPython compiles ``torch.Generator()`` differently in the two, so
    a fingerprint of the bytecode would tell them apart."""
    import linecache

    from modules.game.history import code_fingerprint

    body = "def measure(trainer):\n    # a comment\n    return torch.Generator().manual_seed(2).initial_seed() + trainer\n"
    functions = {}
    for name, source in (("script", "import torch\n\n" + body), ("cell", body), ("changed", body.replace("(2)", "(3)"))):
        filename = f"<fingerprint-{name}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # as IPython keeps its cells
        namespace = {"torch": torch}
        exec(compile(source, filename, "exec"), namespace)
        functions[name] = namespace["measure"]
    assert functions["script"].__code__.co_code != functions["cell"].__code__.co_code  # what made the bytecode differ
    assert code_fingerprint(functions["script"]) == code_fingerprint(functions["cell"])
    assert code_fingerprint(functions["changed"]) != code_fingerprint(functions["script"])
