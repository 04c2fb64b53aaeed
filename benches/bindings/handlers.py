"""Time per event of continuous evaluation's handlers through the Python binding,
offline: the demo snapshot as boto3-shaped KMS clients (``SnapshotKms``) and an
AWS Config in memory; the same events as ``benches/handlers.rs`` (from
``handler-events.json``). Prints one JSON line per event.

Usage: python benches/bindings/handlers.py   (RUNS=N, default 200)
"""

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import kms_rotation
from kms_rotation import aws_lambda
from kms_rotation.testing import SnapshotKms

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[1] / "examples" / "data" / "demo-account.json"


class MemoryConfig:
    """``boto3.client("config")``'s two methods, accepting everything."""

    class meta:  # boto3 names it so
        region_name = "us-east-1"

    def put_evaluations(self, **request: Any) -> dict[str, Any]:
        return {"FailedEvaluations": []}

    def get_resource_config_history(self, **request: Any) -> dict[str, Any]:
        return {"configurationItems": []}


def main() -> None:
    runs = int(os.environ.get("RUNS", "200"))
    snapshot = kms_rotation.load_snapshot(str(DEMO))
    clients = {}

    def factory(region: str) -> Any:
        if region not in clients:
            clients[region] = SnapshotKms(snapshot, region)
        return clients[region]

    events = json.loads((HERE / "handler-events.json").read_text())
    for name, event in events.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            try:
                if "invokingEvent" in event:
                    aws_lambda.config_rule_handler(
                        event,
                        None,
                        client_factory=factory,
                        config_client=MemoryConfig(),
                    )
                else:
                    aws_lambda.event_handler(
                        event, None, client_factory=factory, rule_parameters={}
                    )
            except kms_rotation.ApiError:
                pass  # the demo's unreadable keys fail the scheduled invocation, as they should
            times.append((time.perf_counter() - started) * 1000)
        print(
            json.dumps(
                {
                    "door": "python",
                    "event": name,
                    "runs": runs,
                    "median_ms": statistics.median(times),
                }
            )
        )


if __name__ == "__main__":
    main()
