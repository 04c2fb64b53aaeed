"""The command line the wheel installs (``kms-rotation``, ``python -m kms_rotation``) is the core's."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import DEMO, REPO

GOLDEN = REPO / "kms-rotation-core" / "tests" / "golden"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "NO_COLOR": "1"}
    # From the repository, as the golden files were written: they name the demo by its path from there.
    return subprocess.run(
        [sys.executable, "-m", "kms_rotation", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=REPO,
    )


def test_python_m_prints_the_golden_report_with_the_exit_code_of_a_fail() -> None:
    demo = str(DEMO.relative_to(REPO))
    out = run("check", "--snapshot", demo, "--exempt", "tag:rotation-exempt=true", "--format", "json")
    assert out.returncode == 2, out.stderr
    assert out.stdout == (GOLDEN / "demo.json").read_text()


def test_a_bad_flag_value_is_a_usage_error_naming_it() -> None:
    out = run("check", "--snapshot", str(DEMO), "--max-rotation-period-days", "-5")
    assert out.returncode == 1
    assert "-5 is negative" in out.stderr


def test_version_is_the_package_version() -> None:
    import kms_rotation

    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"kms-rotation {kms_rotation.__version__}"
