"""Answers every case of cases.json through the Python package, one JSON line each.

Usage: python scripts/parity/run.py CASES OUT   (with kms_rotation installed)
A line is {"case", "report"} (the report's canonical JSON, parsed; with the
report's exit code and, for the case's `renders`, each rendering's text) or
{"case", "error"} (kind, argument, message and the details of the exception);
compare.py reads it beside run.mjs's and the CLI's.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import kms_rotation

ROOT = Path(__file__).resolve().parents[2]

# The door-neutral kind of each exception class (Node's `code`).
KINDS = {
    "InvalidInputError": "INVALID_INPUT",
    "MalformedSnapshotError": "MALFORMED_SNAPSHOT",
    "ApiError": "API_ERROR",
    "ConfigurationError": "CONFIGURATION",
    "FileAccessError": "IO",
    "KmsRotationError": "INTERNAL",
}


def answer(case: dict[str, Any]) -> Any:
    call = case["call"]
    if call == "snapshot_from_json":
        return kms_rotation.Snapshot.from_json(case["text"])
    # Declared keys compared with live ones (compare_live): a snapshot is the live account.
    live = {"client": kms_rotation.load_snapshot(ROOT / case["snapshot"])} if "snapshot" in case else {}
    if call == "check_terraform_plan":
        return kms_rotation.check_terraform_plan(
            ROOT / case["terraform_plan"], **live, **case.get("options", {})
        )
    if call == "check_cloudformation":
        templates = [ROOT / path for path in case["cloudformation"]]
        return kms_rotation.check_cloudformation(templates, **live, **case.get("options", {}))
    client = kms_rotation.load_snapshot(ROOT / case["snapshot"])
    options = case.get("options", {})
    if call == "check_account":
        return kms_rotation.check_account(client=client, **options)
    if call == "check_key":
        return kms_rotation.check_key(case["key"], client=client, **options)
    if call == "remediate_keys":
        return kms_rotation.remediate_keys(case["keys"], client=client, **options)
    if call == "remediate":
        report = kms_rotation.check_account(client=client, **options)
        return kms_rotation.remediate(report, client=client, **case.get("remediate_options", {}))
    if call == "check_account_evidence":
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "evidence.json"
            report = kms_rotation.check_account(client=client, evidence=path, **options)
            verification = kms_rotation.verify_evidence(path)
            return {
                "report": json.loads(report.to_json()),
                "verified": verification["verified"],
                "differences": verification["differences"],
            }
    raise SystemExit(f"unknown call {call!r} in case {case['name']!r}")


def error(exception: Exception) -> dict[str, Any]:
    name = type(exception).__name__
    found: dict[str, Any] = {"kind": KINDS.get(name, name), "message": str(exception)}
    for attribute in ("what", "line", "column"):
        value = getattr(exception, attribute, None)
        if value is not None:
            found["argument" if attribute == "what" else attribute] = value
    return found


def main() -> None:
    cases = json.loads(Path(sys.argv[1]).read_text())["cases"]
    with open(sys.argv[2], "w") as out:
        for case in cases:
            line: dict[str, Any] = {"case": case["name"]}
            try:
                result = answer(case)
                if isinstance(result, dict):
                    line["report"] = result
                else:
                    line["report"] = json.loads(result.to_json()) if hasattr(result, "to_json") else None
                if hasattr(result, "exit_code"):
                    line["exit_code"] = result.exit_code
                renders = case.get("renders", [])
                line["rendered"] = {name: result.render(name) for name in renders}
            except Exception as exception:  # every failure is an answer to compare
                line["error"] = error(exception)
            out.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
