"""Benchmarks (not part of the normal test run; pytest skips this folder).

    python -m tests.bench.run_all              # both, as in the README
    python -m tests.bench.bench_checklists     # inspectors completing checklists vs an echo bot
    python -m tests.bench.bench_reminders      # one reminder tick to 1,000 heads

Each prints a small table and its ratio against the goal of its issue; ``--quick``
gives a smoke run of a few seconds.
"""
