"""README tells the truth: CI runs exactly its set-up commands."""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks():
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_readme_starts_with_install_test_and_main_job():
    install, test, main_job = (block.strip() for block in _bash_blocks()[:3])
    assert 'pip install "torch==2.13.0"' in install and ".[test]" in install
    assert test == "python -m pytest"
    assert main_job == "spectra-sklearn demo"


def test_ci_runs_the_readme_commands_verbatim():
    ci_lines = [line.strip() for line in
                (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    for block in _bash_blocks()[:2]:
        assert block.strip() in ci_lines
