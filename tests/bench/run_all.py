"""Every benchmark, one after the other: the README's benchmark command.

    python -m tests.bench.run_all [--quick]

Runs tests.bench.bench_checklists (issue 3: inspectors vs an echo bot) and
tests.bench.bench_reminders (issue 4: one tick to 1,000 heads) and
tests.bench.bench_summary (issue 5: indicators over 10,000 sites) and
tests.bench.bench_kill_storm (issue 17: SIGKILLs while inspectors file checks) and
tests.bench.bench_turns (issue 11 goal 5: turns vs an echo bot process, SQLite and
PostgreSQL, rate limiter off) and tests.bench.bench_report (issue 11 goal 5b: the annual
report DOCX on 10,000 sites) with their defaults,
which mirror production settings. Exits non-zero when either reports errors or losses
(a missed speed goal is printed, not an error).
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.bench import (
    bench_checklists,
    bench_kill_storm,
    bench_reminders,
    bench_report,
    bench_summary,
    bench_turns,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.run_all", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="smoke runs: 20 inspectors, 120 heads")
    args = parser.parse_args(argv)
    extra = ["--quick"] if args.quick else []
    began = time.perf_counter()
    results = {}
    benchmarks = (
        ("checklists", bench_checklists),
        ("reminders", bench_reminders),
        ("summary", bench_summary),
        ("kill storm", bench_kill_storm),
        ("turns", bench_turns),
        ("annual report", bench_report),
    )
    for name, module in benchmarks:
        print(f"=== {name} ===", flush=True)
        results[name] = module.main(extra)
        print(flush=True)
    failed = [name for name, code in results.items() if code]
    print(
        f"all benchmarks: {time.perf_counter() - began:.0f} s; "
        + (f"errors or losses in: {', '.join(failed)}" if failed else "no errors, nothing lost")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
