"""The README's Python examples run as written (AWS replaced by moto's ``mock_aws``)."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest

from conftest import REPO, seed_account

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.usefixtures("mock_aws")
@pytest.mark.parametrize("block", range(len(BLOCKS)))
def test_readme_example_runs(
    block: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = BLOCKS[block]
    if "tqdm" in code:
        pytest.skip("needs tqdm and an AWS account with every region")
    seed_account(boto3.client("kms", region_name="us-east-1"))
    # Paths in the examples are relative to the repository; files they write go to tmp_path.
    monkeypatch.chdir(tmp_path)
    code = code.replace('"examples/data/', f'"{REPO}/examples/data/')
    exec(compile(code, f"README.md python block {block}", "exec"), {})
    printed = capsys.readouterr().out
    assert printed
    if "report.json" in code:
        assert "Summary(total=36, pass_=11, fail=9, not_applicable=13, exempt=1, error=2)" in printed
        assert (tmp_path / "report.json").exists()
    if "remediate" in code:
        assert "{'CHANGED': 1, 'SKIPPED': 1} False" in printed
