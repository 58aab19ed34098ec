"""The hosting recipes (GitHub Actions + Pages, Read the Docs) build the course with the
README's commands, and they parse."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from course import ROOT

ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=\S*$")


def readme_commands() -> list[str]:
    """The commands of the README's "The two commands" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


def command_of(line: str) -> str:
    """A shell line without leading VAR=value assignments."""
    words = shlex.split(line)
    while words and ENV_ASSIGNMENT.match(words[0]):
        words.pop(0)
    return " ".join(words)


def test_readme_names_the_two_commands():
    assert readme_commands() == ["make html", "make test"]


def test_ci_run_is_the_readme_test_command():
    lines = [l.strip() for l in (ROOT / ".ci" / "run").read_text().splitlines() if l.strip() and not l.strip().startswith("#")]
    assert lines[-1] == "make test"
    # make test itself installs Chromium from the distribution when missing (.ci/chromium)
    chromium = (ROOT / ".ci" / "chromium").read_text()
    assert "apt-get install" in chromium and "playwright install" not in chromium
    assert "playwright install" not in (ROOT / ".ci" / "run").read_text()


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))


def run_lines(job: dict) -> list[str]:
    return [command_of(line) for step in job["steps"] if "run" in step for line in step["run"].splitlines() if line.strip()]


def test_github_workflow_builds_with_the_readme_command_and_publishes_it(workflow):
    jobs = workflow["jobs"]
    build, test = jobs["build"], jobs["test"]
    assert run_lines(build) == ["make html"]
    assert run_lines(test) == [".ci/run"]
    uploads = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "_build/html"
    deploy = jobs["deploy"]
    assert set(deploy["needs"]) == {"build", "test"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    # 'on' parses as True in YAML 1.1
    triggers = workflow.get("on", workflow.get(True))
    assert "push" in triggers and "pull_request" in triggers


def test_read_the_docs_builds_with_the_readme_command():
    conf = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert conf["version"] == 2
    commands = [command_of(c) for c in conf["build"]["commands"]]
    assert commands[0] == "make html"
    assert any("_build/html" in c and "$READTHEDOCS_OUTPUT/html" in c for c in commands[1:])
    assert tuple(map(int, conf["build"]["tools"]["python"].split("."))) >= (3, 10)
