"""Asserts that every door answered every case of cases.json alike.

Usage: python scripts/parity/compare.py CASES PYTHON_OUT NODE_OUT CLI
  (CLI: the `kms-rotation` binary, run here for the cases that give `cli` arguments)

A report must be the same canonical JSON from Python, Node and the CLI, apart
from the timing fields (`generated_at`, `stats.duration_ms`, and the
`next_rotation_date` a remediation reads back). An error must be of the
expected kind in both bindings (Python's class mapped to Node's `code` by
run.py), name the same argument (snake_case; `argument_python` / `argument_node`
where a door names another, none where absent) and the bad value (`names`: one
text, or one per door spelled as that door spells it), and agree on line and column.
A report's exit code must be the same from every door (and the case's
`exit_code`, when it gives one), and each format the case `renders` the same
bytes (the SARIF, CSV and table renderings carry no time). Exit status: 0 when all agree, 1 on a divergence, 75 when the
UTC date changed during the runs of a case whose verdicts depend on the clock
(scripts/test-parity.sh runs everything again).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CLOCK_CHANGED = 75


def read_lines(path: str) -> dict[str, dict[str, Any]]:
    lines = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    return {line["case"]: line for line in lines}


def canonical(report: Any) -> Any:
    if not isinstance(report, dict):
        return report
    report = dict(report)
    if "verified" in report:
        # An evidence case: the report the check gave, and whether its evidence re-checked to it.
        report["report"] = canonical(report.get("report"))
        return report
    report.pop("generated_at", None)
    if isinstance(report.get("stats"), dict):
        report["stats"] = {k: v for k, v in report["stats"].items() if k != "duration_ms"}
    if isinstance(report.get("actions"), list):
        actions = []
        for action in report["actions"]:
            action = dict(action)
            if isinstance(action.get("after"), dict):
                action["after"] = {k: v for k, v in action["after"].items() if k != "next_rotation_date"}
            actions.append(action)
        report["actions"] = actions
    return report


def differences(a: Any, b: Any, path: str = "$") -> list[str]:
    """Where two JSON values differ (the first few places)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = [f"{path}.{k}: only in one" for k in sorted(a.keys() ^ b.keys())]
        for key in sorted(a.keys() & b.keys()):
            found += differences(a[key], b[key], f"{path}.{key}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"]


def run_cli_evidence(args: list[str]) -> dict[str, Any]:
    """`check --evidence` with the report as JSON, then `verify-evidence`."""
    with tempfile.TemporaryDirectory() as directory:
        evidence, report = Path(directory) / "evidence.json", Path(directory) / "report.json"
        done = subprocess.run(
            [*args, "--format", "json", "--output", str(report), "--evidence", str(evidence)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode == 1:
            return {"error": {"kind": "exit 1", "message": done.stderr}}
        verify = subprocess.run(
            [args[0], "verify-evidence", str(evidence)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        differences = [
            line.removeprefix("error: ") for line in verify.stderr.splitlines() if line.startswith("error: ")
        ]
        return {
            "report": {
                "report": json.loads(report.read_text()),
                "verified": verify.returncode == 0,
                "differences": differences,
            }
        }


def run_cli(cli: str, case: dict[str, Any]) -> dict[str, Any]:
    args = [cli, *case["cli"]]
    # The plan's path follows the case's last flag (--terraform-plan); a snapshot (with
    # --compare-live, the live account) comes after it.
    if "terraform_plan" in case:
        args += [str(ROOT / case["terraform_plan"])]
    if "snapshot" in case:
        args += ["--snapshot", str(ROOT / case["snapshot"])]
    for path in case.get("cloudformation", []):
        args += ["--cloudformation", str(ROOT / path)]
    # The bindings render the table 80 columns wide, without colour.
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"COLUMNS": "80", "NO_COLOR": "1"}

    def run(format_name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*args, "--format", format_name], capture_output=True, text=True, timeout=60, check=False, env=env
        )

    if case.get("evidence"):
        return run_cli_evidence(args)
    done = run("json")
    if done.returncode == 1:
        return {"error": {"kind": "exit 1", "message": done.stderr}}
    try:
        line: dict[str, Any] = {"report": json.loads(done.stdout), "exit_code": done.returncode}
    except json.JSONDecodeError:
        return {"error": {"kind": f"exit {done.returncode}", "message": done.stderr + done.stdout[:500]}}
    line["rendered"] = {name: run(name).stdout for name in case.get("renders", [])}
    return line


def check_error(door: str, case: dict[str, Any], line: dict[str, Any]) -> list[str]:
    expected = case["error"]
    if "error" not in line:
        return [f"{door}: expected a {expected['kind']} error, got a result"]
    found = line["error"]
    problems = []
    kind = expected.get(door, expected["kind"]) if door in ("python", "node") else "exit 1"
    if found["kind"] != kind:
        problems.append(f"{door}: error kind {found['kind']!r}, expected {kind!r} ({found['message']})")
    argument = expected.get(f"argument_{door}", expected.get("argument"))
    if door != "cli" and found.get("argument") != argument:
        problems.append(f"{door}: argument {found.get('argument')!r}, expected {argument!r}")
    names = expected.get("names")
    names = names.get(door) if isinstance(names, dict) else names
    if names is not None and names not in found["message"]:
        problems.append(f"{door}: the message does not name {names!r}: {found['message']}")
    if "line" in expected and door != "cli" and found.get("line") != expected["line"]:
        problems.append(f"{door}: line {found.get('line')!r}, expected {expected['line']!r}")
    return problems


def same_exit_codes_and_renderings(case: dict[str, Any], lines: dict[str, dict[str, Any]]) -> list[str]:
    """The same exit code from every door that gives one (and the one the case
    expects), and each of the case's renderings byte for byte."""
    problems = []
    codes = {door: line["exit_code"] for door, line in lines.items() if "exit_code" in line}
    if len(set(codes.values())) > 1:
        problems.append(f"exit codes differ: {codes}")
    if "exit_code" in case and codes.get("python") != case["exit_code"]:
        problems.append(f"exit code {codes.get('python')}, expected {case['exit_code']}")
    for name in case.get("renders", []):
        texts = {door: line.get("rendered", {}).get(name) for door, line in lines.items()}
        if not texts["python"]:
            problems.append(f"python: no {name} rendering")
        for door, text in texts.items():
            if text != texts["python"]:
                problems.append(f"{name}: python and {door} render different bytes")
    return problems


def date_of(line: dict[str, Any]) -> str:
    return str((line.get("report") or {}).get("generated_at", ""))[:10]


def main() -> int:
    cases_path, python_out, node_out, cli = sys.argv[1:5]
    cases = json.loads(Path(cases_path).read_text())["cases"]
    answers = {"python": read_lines(python_out), "node": read_lines(node_out)}
    failures: list[str] = []
    clock_changed = False
    for case in cases:
        name = case["name"]
        lines = {door: answers[door].get(name) for door in answers}
        missing = [door for door, line in lines.items() if line is None]
        if missing:
            failures.append(f"{name}: no answer from {', '.join(missing)}")
            continue
        if "cli" in case:
            lines["cli"] = run_cli(cli, case)
        problems: list[str] = []
        if "error" in case:
            for door, line in lines.items():
                problems += check_error(door, case, line)
            python, node = lines["python"]["error"], lines["node"].get("error", {})
            if python.get("column") != node.get("column"):
                problems.append(f"column: python {python.get('column')!r}, node {node.get('column')!r}")
        else:
            for door, line in lines.items():
                if "error" in line:
                    problems.append(f"{door}: unexpected error {line['error']}")
            if not problems:
                if case.get("clock") and len({date_of(line) for line in lines.values()}) > 1:
                    clock_changed = True
                expected = canonical(lines["python"]["report"])
                if not isinstance(expected, dict) or not expected:
                    problems.append(f"python: not a report: {json.dumps(expected)[:200]}")
                for door in [d for d in lines if d != "python"]:
                    for difference in differences(expected, canonical(lines[door]["report"]))[:10]:
                        problems.append(f"python vs {door}: {difference}")
                if case.get("evidence"):
                    for door, line in lines.items():
                        if line["report"].get("verified") is not True:
                            problems.append(
                                f"{door}: the evidence did not verify: {line['report'].get('differences')}"
                            )
                problems += same_exit_codes_and_renderings(case, lines)
        print(f"{'ok  ' if not problems else 'FAIL'} {name} ({', '.join(lines)})")
        failures += [f"{name}: {problem}" for problem in problems]
    if failures and clock_changed:
        print("the UTC date changed during the runs; run again", file=sys.stderr)
        return CLOCK_CHANGED
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    print(f"{len(cases)} cases, {len(failures)} divergences", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
