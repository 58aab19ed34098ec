"""modules.storage.results: what a script records is what the pages and the gates read."""

from __future__ import annotations

import math

import pytest
import torch

from modules.storage.results import RESULTS_ENV, load_results, load_script_results, record, results_path


def test_recording_is_off_without_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    assert record("share", 0.5, ".1%", script="lesson") == "50.0%"
    assert results_path("lesson") is None
    assert list(tmp_path.iterdir()) == []


def test_records_are_written_with_value_and_text(monkeypatch, tmp_path):
    monkeypatch.setenv(RESULTS_ENV, str(tmp_path))
    assert record("mean", torch.tensor(3.98765), ".3f", script="one") == "3.988"
    assert record("covered", 7, script="one") == "7"
    record("spreads", {0.5: 1.0, 1: float("nan")}, script="one")
    records = load_script_results("one", tmp_path)
    assert records["mean"]["text"] == "3.988" and math.isclose(records["mean"]["value"], 3.98765, rel_tol=1e-6)
    assert records["covered"] == {"value": 7, "text": "7"}
    assert records["spreads"]["value"] == {"0.5": 1.0, "1": "nan"}, "keys become strings, NaN a string JSON can hold"
    assert load_results(tmp_path) == {"one": records}
    assert not [p for p in tmp_path.iterdir() if p.suffix != ".json"], "no temporary file is left behind"


def test_a_name_recorded_twice_in_one_run_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv(RESULTS_ENV, str(tmp_path))
    record("final", 1.0, script="twice")
    with pytest.raises(ValueError, match="recorded twice"):
        record("final", 2.0, script="twice")
    assert load_script_results("twice", tmp_path)["final"]["value"] == 1.0


def test_bad_names_and_values_are_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(RESULTS_ENV, str(tmp_path))
    with pytest.raises(ValueError, match="identifiers"):
        record("final mean", 1.0, script="bad")
    with pytest.raises(TypeError, match="cannot record"):
        record("model", object(), script="bad")


def test_a_script_that_recorded_nothing_reads_as_none(tmp_path):
    assert load_script_results("absent", tmp_path) is None
    assert load_results(tmp_path) == {}
