"""Times the offline scan of a snapshot file through the Python binding.

Usage: python benches/bindings/scan.py FILE   (prints "python <median ms>")
Each run loads the file, checks every key and serialises the report to JSON,
as benches/binding_overhead.rs does in Rust: the clock stops before the
snapshot, the report and the text are freed, as it does there.
"""

import os
import statistics
import sys
import time

import kms_rotation


def main() -> None:
    path = sys.argv[1]
    runs = int(os.environ.get("RUNS", "5"))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        snapshot = kms_rotation.load_snapshot(path)
        report = kms_rotation.check_account(client=snapshot)
        text = report.to_json()
        assert len(report.findings) == 10_000 and text
        times.append((time.perf_counter() - started) * 1000)
        del snapshot, report, text
    print(f"python {statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
