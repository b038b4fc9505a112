"""Benchmarks (not part of the normal test run; pytest skips this folder).

    python -m tests.bench.run_all [--quick]    # every one, then one table of every goal
    python -m tests.bench.bench_startup        # fieldbot --help, fieldbot run to its first poll
    python -m tests.bench.bench_turns          # inspectors' turns vs an echo bot process
    python -m tests.bench.bench_summary        # the /summary queries vs count(*)
    python -m tests.bench.bench_export         # the streamed export vs a streamed SELECT
    python -m tests.bench.bench_report         # the annual report DOCX
    python -m tests.bench.bench_reminders      # one reminder tick to 1,000 heads
    python -m tests.bench.bench_kill_storm     # SIGKILLs while inspectors file checks

Each prints its own figures against the goal of its issue and records them
(tests.bench.common.record) for run_all's table; ``--quick`` gives a smoke run.
"""
