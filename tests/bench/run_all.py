"""Every benchmark, one after the other, then one table of every figure against its
goal in issue 11: the README's benchmark command.

    python -m tests.bench.run_all [--quick] [--sqlite-only]

Runs bench_startup (goal 1), bench_turns (goal 5: turns against an echo bot process),
bench_summary and bench_export (goals 3 and 2), bench_contention (goal 0: inspectors'
reply times while an admin exports), bench_report (goal 5b), bench_reminders
(goal 4: one tick to the heads) and bench_kill_storm (issue 17), each with its
defaults (which mirror production settings) or its --quick smoke size; the
databases each one covers are its own (SQLite, and PostgreSQL where it is reachable).
Exits non-zero when a benchmark reports errors or losses (a missed speed goal is
in the table, not an error).
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.bench import (
    bench_contention,
    bench_export,
    bench_kill_storm,
    bench_reminders,
    bench_report,
    bench_startup,
    bench_summary,
    bench_turns,
)
from tests.bench.common import FIGURES, figures_table, record

QUICK_SECONDS = 180  # goal 6


def benchmarks(quick: bool, sqlite_only: bool) -> list[tuple[str, object, list[str]]]:
    size = ["--quick"] if quick else []
    postgres = [] if sqlite_only else [("PostgreSQL", "--postgres")]
    plan = [
        ("startup", bench_startup, size),
        ("turns", bench_turns, size + (["--sqlite-only"] if sqlite_only else [])),
    ]
    for label, flag in [("SQLite", None), *postgres]:
        extra = [flag] if flag else []
        plan.append((f"summary ({label})", bench_summary, size + extra))
        plan.append((f"export ({label})", bench_export, size + extra))
    plan.append(("turns during an export (SQLite)", bench_contention, size))
    plan.append(("annual report", bench_report, size))
    plan.append(("reminders", bench_reminders, size + (["--sqlite-only"] if sqlite_only else [])))
    plan.append(("kill storm", bench_kill_storm, size))
    return plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.run_all", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="every benchmark's smoke size")
    parser.add_argument("--sqlite-only", action="store_true", help="leave PostgreSQL out")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    FIGURES.clear()
    failed = []
    for name, module, extra in benchmarks(args.quick, args.sqlite_only):
        print(f"=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            code = module.main(extra)
        except Exception as error:  # noqa: BLE001 - one broken benchmark, the rest still run
            print(f"{name}: raised {type(error).__name__}: {error}")
            record("—", f"{name}: the benchmark raised", type(error).__name__, "runs", False)
            code = 1
        if code:
            failed.append(name)
        print(f"({name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    elapsed = time.perf_counter() - began
    if args.quick:
        met = elapsed <= QUICK_SECONDS
        record("6", "run_all --quick, wall time", f"{elapsed:.0f} s", f"≤ {QUICK_SECONDS} s", met)
    print(f"=== every figure (issue 11), one run, {elapsed:.0f} s ===")
    print(figures_table(FIGURES))
    print(
        f"figures meeting their goal: {sum(f.met is True for f in FIGURES)}, missing it: "
        f"{sum(f.met is False for f in FIGURES)}; "
        + (f"errors or losses in: {', '.join(failed)}" if failed else "no errors, nothing lost")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
