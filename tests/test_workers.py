"""modules.game.runs: independent runs in worker processes; and :func:`trained`
(modules.experiments.workers), which loads finished runs from the model cache and
trains the missing ones (side by side on a CPU).  The results must not depend on whether a run trained here, in a worker, or
came from the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from modules.game import runs
from modules.game.runs import run_in_workers
from modules.game.runtime import TrainingDiverged
from modules.experiments.translation import Pix2PixRecipe, build_pix2pix
from modules.experiments.workers import trained

TINY = Pix2PixRecipe(image_size=16, scenes=60, width=4, d_width=4, d_layers=1, steps=3, batch_size=4)


def write_json(path: str, value: object) -> None:
    """A top-level function a worker can import (tests/ is not a package, so the
    workers import it from this module's file through PYTHONPATH)."""
    Path(path).write_text(json.dumps(value))


def raise_diverged(message: str) -> None:
    raise TrainingDiverged(message)


def raise_other(message: str) -> None:
    raise KeyError(message)


@pytest.fixture
def tests_on_path(monkeypatch):
    here = str(Path(__file__).resolve().parent)
    monkeypatch.setenv("PYTHONPATH", here)


def test_calls_run_in_workers_and_write_their_files(tmp_path, tests_on_path):
    files = [str(tmp_path / f"out{i}.json") for i in range(5)]
    run_in_workers([(write_json, (f, i * i)) for i, f in enumerate(files)], workers=2, costs=[1, 5, 2, 4, 3])
    assert [json.loads(Path(f).read_text()) for f in files] == [0, 1, 4, 9, 16]


def test_a_diverged_run_raises_training_diverged_with_its_message(tests_on_path):
    with pytest.raises(TrainingDiverged, match="G loss became nan"):
        run_in_workers([(raise_diverged, ("training diverged: G loss became nan",)), (raise_diverged, ("x",))], workers=2)


def test_another_failure_names_the_workers_last_line(tests_on_path):
    with pytest.raises(RuntimeError, match="KeyError: 'no such thing'"):
        run_in_workers([(raise_other, ("no such thing",))], workers=1)


def test_only_importable_functions_can_run_in_a_worker():
    with pytest.raises(ValueError, match="top-level function"):
        run_in_workers([(lambda: None, ())], workers=1)
    run_in_workers([], workers=2)  # nothing to do is fine


def states_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_trained_in_workers_equals_trained_here_and_is_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path / "cache"))
    recipes = [TINY, Pix2PixRecipe(**{**TINY.__dict__, "l1_weight": 0.0})]
    parallel = trained("pix2pix", recipes, build_pix2pix, workers=2)
    assert len(list((tmp_path / "cache").glob("pix2pix-*.pt"))) == 2
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path / "serial"))
    serial = trained("pix2pix", recipes, build_pix2pix, workers=1)
    for p, s in zip(parallel, serial):
        assert p.epoch == s.epoch == TINY.steps
        assert states_equal(p.generator, s.generator)
    assert not states_equal(parallel[0].generator, parallel[1].generator)  # the two recipes differ

    def no_training(*args, **kwargs):
        raise AssertionError("a cached run was trained again")

    monkeypatch.setattr(runs, "run_in_workers", no_training)
    monkeypatch.setattr("modules.game.loop.GANTrainer.fit", no_training)
    again = trained("pix2pix", recipes, build_pix2pix, workers=2)
    assert all(states_equal(a.generator, s.generator) for a, s in zip(again, serial))
    assert again[0].history.g_loss == serial[0].history.g_loss


def test_an_unusable_cache_file_is_trained_anew(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    (first,) = trained("pix2pix", [TINY], build_pix2pix)
    (path,) = tmp_path.glob("pix2pix-*.pt")
    path.write_bytes(b"not a checkpoint")
    (second,) = trained("pix2pix", [TINY], build_pix2pix)
    assert states_equal(first.generator, second.generator)


def test_a_cached_run_gives_its_callbacks_back_what_they_kept_and_they_say_it_again(tmp_path, monkeypatch, capsys):
    """A run that comes from the cache prints the lines its training printed: each
    EvalEvery gets back its results and replays them against the loaded history."""
    from modules.game.history import EvalEvery

    monkeypatch.setenv("GAN_COURSE_CACHE", str(tmp_path))
    calls = []

    def watch():
        def measure(trainer):
            calls.append(trainer.epoch)
            return [trainer.epoch * 0.5, float(trainer.history.g_loss[-1])]

        return EvalEvery(2, measure, lambda step, record, result: f"step {step}: D(x)={record['d_real']:.4f} result={result}")

    first_watch = watch()
    (first,) = trained("pix2pix", [TINY], build_pix2pix, callbacks=[first_watch])
    trained_lines = capsys.readouterr().out
    assert calls == [2, 3] and trained_lines.count("step ") == 2
    second_watch = watch()
    (second,) = trained("pix2pix", [TINY], build_pix2pix, callbacks=[second_watch])
    assert calls == [2, 3]  # loaded: nothing trained or measured again
    assert capsys.readouterr().out == trained_lines
    assert second_watch.results == first_watch.results and second.history.g_loss == first.history.g_loss
    # the same interval but another measurement: measured anew, so trained anew
    changed = EvalEvery(2, lambda t: t.epoch, lambda step, record, result: f"now {step}")
    trained("pix2pix", [TINY], build_pix2pix, callbacks=[changed])
    assert changed.results == [(2, 2), (3, 3)] and capsys.readouterr().out == "now 2\nnow 3\n"
    # a file written without this callback's results (by a plain run) is trained anew, then kept
    other = EvalEvery(3, lambda t: t.epoch, lambda step, record, result: f"at {step}")
    (third,) = trained("pix2pix", [TINY], build_pix2pix, callbacks=[other])
    assert other.results == [(3, 3)] and capsys.readouterr().out == "at 3\n"
    with pytest.raises(ValueError, match="one recipe"):
        trained("pix2pix", [TINY, TINY], build_pix2pix, callbacks=[watch()])
