"""Offline means instant, and evidence that re-checks itself, through the Python door:
a recorded ``ThrottlingException`` in a snapshot is final at once (one attempt);
``check_account(evidence=...)`` writes the facts, the report and a manifest that
``verify_evidence`` re-checks offline to the same report, naming what was changed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import kms_rotation
from conftest import DEMO, DEMO_EXEMPTIONS, EmulatorAccount, account, key_entry, seed_account
from kms_rotation import Status


def throttled_snapshot() -> kms_rotation.Snapshot:
    """31 keys with rotation on; the last one's status recorded as throttled, as ``collect`` writes it."""
    keys = [
        key_entry(f"{n:08x}-0000-4000-8000-{n:012x}", alias=f"alias/k{n}", rotation_enabled=True)
        for n in range(1, 32)
    ]
    keys[-1]["Errors"] = {"GetKeyRotationStatus": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
    return account(keys)


def test_a_recorded_throttling_is_final_at_once() -> None:
    attempts: list[dict[str, Any]] = []
    report = kms_rotation.check_account(client=throttled_snapshot(), on_call=attempts.append)
    errors = report.findings_with(Status.ERROR)
    assert [(f.key_id[:8], f.error.code if f.error else None) for f in errors] == [
        ("0000001f", "ThrottlingException")
    ]
    assert report.summary.pass_ == 30
    # One attempt per call: the recorded answer is the answer.
    assert report.stats.retries == 0
    assert report.stats.api_calls["GetKeyRotationStatus"] == 31
    assert attempts and all(a["attempt"] == 1 for a in attempts)


def evidence_files(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.stem + ".report.json"), path.with_name(path.stem + ".manifest.json")


def test_evidence_of_a_snapshot_check_verifies_and_tampering_is_named(tmp_path: Path) -> None:
    path = tmp_path / "evidence.json"
    report = kms_rotation.check_account(
        client=kms_rotation.load_snapshot(DEMO), exemptions=DEMO_EXEMPTIONS, evidence=path
    )
    report_file, manifest_file = evidence_files(path)
    assert json.loads(report_file.read_text())["findings"] == report.to_dict()["findings"]
    manifest = json.loads(manifest_file.read_text())
    assert manifest["tool_version"] == kms_rotation.__version__
    assert manifest["run_specific_fields"] == [
        "source",
        "stats.api_calls",
        "stats.retries",
        "stats.throttled",
        "stats.duration_ms",
    ]
    # The facts feed back as a snapshot, with the same findings.
    again = kms_rotation.check_account(client=kms_rotation.load_snapshot(path), exemptions=DEMO_EXEMPTIONS)
    assert again.to_dict()["findings"] == report.to_dict()["findings"]

    verification = kms_rotation.verify_evidence(path)
    assert verification["verified"], verification["differences"]
    assert asyncio.run(kms_rotation.verify_evidence_async(manifest_file))["verified"]

    original = report_file.read_text()
    report_file.write_text(original.replace('"FAIL"', '"PASS"', 1))
    verification = kms_rotation.verify_evidence(path)
    assert not verification["verified"]
    differences = "\n".join(verification["differences"])
    assert "was changed after it was written" in differences and "findings[" in differences
    report_file.write_text(original)

    manifest["tool_version"] = "0.0.1"
    manifest_file.write_text(json.dumps(manifest))
    verification = kms_rotation.verify_evidence(path)
    assert not verification["verified"]
    assert "written by kms-rotation 0.0.1" in "\n".join(verification["differences"])


def test_evidence_of_a_live_check_on_moto_verifies_offline(
    emulator_account: EmulatorAccount, tmp_path: Path
) -> None:
    seed_account(emulator_account.kms("us-east-1"))
    path = tmp_path / "live.json"
    report = kms_rotation.check_account(
        endpoint_url=emulator_account.endpoint,
        role_arn=emulator_account.role_arn,
        regions=["us-east-1"],
        exemptions=["tag:rotation-exempt=true"],
        evidence=path,
    )
    assert report.findings
    assert report.source == {"endpoint_url": emulator_account.endpoint, "role_arn": emulator_account.role_arn}
    verification = kms_rotation.verify_evidence(path)
    assert verification["verified"], verification["differences"]
