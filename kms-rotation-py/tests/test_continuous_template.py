"""The continuous deployment template (docs/continuous.yaml) passes cfn-lint, and
cfn-lint finds what is wrong in a broken copy of it (so the lint can fail)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "docs" / "continuous.yaml"


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # The console script installed beside this interpreter (scripts/test-python.sh pins it).
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_template_lints_clean() -> None:
    result = cfn_lint(TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_template_does_not(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = TEMPLATE.read_text()
    assert "Runtime: !If [IsPython, python3.12, provided.al2023]" in text
    broken.write_text(text.replace("python3.12, provided.al2023", "python2.0, provided.al2023", 1))
    result = cfn_lint(broken)
    assert result.returncode != 0
    assert "python2.0" in result.stdout
