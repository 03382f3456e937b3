"""README's two set-up commands, and CI running exactly the README's test command."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands():
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_readme_opens_with_two_commands():
    main_job, tests = _setup_commands()
    assert main_job.endswith("mesacheck verify")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    assert _setup_commands()[1] in (ROOT / ".ci" / "run").read_text()
