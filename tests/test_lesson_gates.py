"""Every sentence that interprets a run holds on the runs this test session made.

The gates live in ``tests/lesson_gates/`` (one file per lesson).  A gate on the build's
own run is checked on what the scripts recorded during the session's site build, the
numbers its pages show; a gate on an exercise's variant run (``args``) runs that
variant here.  ``make robustness`` checks the same gates over seeds and CPU kernels.
"""

from __future__ import annotations

import pytest

from course import run_script
from lesson_gates import all_gates, load_values

GATES = all_gates()
BUILD_GATES = [gate for gate in GATES if not gate.args]
VARIANT_GATES = [gate for gate in GATES if gate.args]


def test_every_lesson_has_gates():
    lessons = {gate.lesson for gate in GATES}
    assert lessons, "no gates at all"


@pytest.mark.parametrize("gate", BUILD_GATES, ids=[gate.id for gate in BUILD_GATES])
def test_claim_holds_on_the_build(site, gate):
    values = load_values(site.results, gate.script)
    assert values, f"{gate.script}.py recorded nothing in the site build"
    holds, seen = gate.evaluate(values)
    assert holds, f"{gate.lesson} {gate.script}: {gate.claim!r} does not hold: {seen}"


@pytest.fixture(scope="session")
def variant_results(tmp_path_factory):
    """``get(script, args)``: the records of ``script --preset docs *args``, run once."""
    runs: dict[tuple, dict] = {}

    def get(script: str, args: tuple[str, ...]) -> dict:
        key = (script, *args)
        if key not in runs:
            folder = tmp_path_factory.mktemp("variant")
            run = run_script(script, "--preset", "docs", *args, env={"GAN_COURSE_RESULTS": str(folder)})
            assert run.returncode == 0, run.stderr
            runs[key] = load_values(folder, script)
        return runs[key]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("gate", VARIANT_GATES, ids=[gate.id for gate in VARIANT_GATES])
def test_claim_holds_on_the_variant_run(variant_results, gate):
    holds, seen = gate.evaluate(variant_results(gate.script, gate.args))
    assert holds, f"{gate.lesson} {gate.script} {' '.join(gate.args)}: {gate.claim!r} does not hold: {seen}"
