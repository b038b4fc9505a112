"""Start-up (issue 11, goal 1): `fieldbot --help` against bare Python imports, and
`fieldbot run` from an idle start to its first poll of the fake Telegram server.

    python -m tests.bench.bench_startup [--quick] [--runs N]

Every figure is the median of N runs in this process's machine, next to baselines
measured in the same run: `python -c "import sqlalchemy"` (the goal: ≤ 1.5×), the
imports every command used to make up front (`import sqlmodel, alembic, matplotlib,
openpyxl, docx, telegram`) and `python -c pass`. `fieldbot run` should poll within 2 s.

The project's modules are byte-compiled first, as `pip install .` does for a release:
an editable checkout under PYTHONDONTWRITEBYTECODE=1 (this machine, CI) would otherwise
compile some 120 modules from source at every start (0.23 s of CPU measured), a cost
no installed bot pays.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.common import migrated_sqlite, quiet_logging, record, table
from tests.bot_process import FIELDBOT, write_config
from tests.fake_telegram import FakeTelegram

PROJECT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage")
OLD_IMPORTS = "import sqlmodel, alembic, matplotlib, openpyxl, docx, telegram"
HELP_GOAL = 1.5  # × `import sqlalchemy`
POLL_GOAL = 2.0  # seconds from the start of `fieldbot run` to its first getUpdates


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}


def compile_project() -> None:
    """Byte-code for the project's packages (see the module's docstring)."""
    folders = [str(PROJECT / name) for name in PACKAGES]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True)


def wall_time(command: list[str], runs: int) -> float:
    """Median seconds of ``runs`` runs of ``command`` (after one warm-up run, so every
    command reads its files from the page cache)."""
    times = []
    for index in range(runs + 1):
        began = time.perf_counter()
        subprocess.run(command, env=_environment(), stdout=subprocess.DEVNULL, check=True)
        if index:
            times.append(time.perf_counter() - began)
    return statistics.median(times)


class PollClock(FakeTelegram):
    """The fake Bot API, noting when the first getUpdates arrives."""

    first_poll: asyncio.Future | None = None

    async def _api_getUpdates(self, params, files, request):
        if self.first_poll is not None and not self.first_poll.done():
            self.first_poll.set_result(time.perf_counter())
        return await super()._api_getUpdates(params, files, request)


async def _one_run_to_first_poll(folder: Path, url: str) -> float:
    async with PollClock() as tg:
        tg.first_poll = asyncio.get_running_loop().create_future()
        config = write_config(
            folder / "config.toml",
            url,
            folder / "media",
            telegram={
                "token": tg.token,
                "api_base_url": tg.api_base_url,
                "file_base_url": tg.file_base_url,
            },
        )
        began = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            str(FIELDBOT),
            "--config",
            str(config),
            "run",
            env=_environment(),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            polled = await asyncio.wait_for(tg.first_poll, 120)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 60)
        return polled - began


async def time_to_first_poll(runs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        url, database = await migrated_sqlite(Path(folder) / "bench.db")
        await database.dispose()
        times = [await _one_run_to_first_poll(Path(folder), url) for _ in range(runs)]
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Like the other benchmarks (tests.bench.run_all): 0 when it ran; a missed speed
    goal is printed, not an error."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_startup", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (median)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 2 runs of each, no old imports"
    )
    args = parser.parse_args(argv)
    runs = 2 if args.quick else args.runs
    quiet_logging()
    compile_project()
    python = sys.executable
    figures = {
        "fieldbot --help": wall_time([str(FIELDBOT), "--help"], runs),
        "fieldbot db --help": wall_time([str(FIELDBOT), "db", "--help"], runs),
        'python -c "import sqlalchemy"': wall_time([python, "-c", "import sqlalchemy"], runs),
        "python -c pass": wall_time([python, "-c", "pass"], runs),
    }
    if not args.quick:  # the slowest line, and only for comparison
        figures["old up-front imports"] = wall_time([python, "-c", OLD_IMPORTS], runs)
    poll = asyncio.run(time_to_first_poll(runs))
    baseline = figures['python -c "import sqlalchemy"']
    rows = [[name, seconds, seconds / baseline] for name, seconds in figures.items()]
    rows.append(["fieldbot run → first poll", poll, poll / baseline])
    print(f"median of {runs} runs; ratio against `import sqlalchemy`")
    print(table(["command", "seconds", "ratio"], rows))
    ours = figures["fieldbot --help"]
    old = figures.get("old up-front imports")
    print(
        f"fieldbot --help: {ours:.2f} s = {ours / baseline:.2f}× import sqlalchemy "
        f"(goal ≤ {HELP_GOAL}×: {'met' if ours / baseline <= HELP_GOAL else 'NOT met'})"
        + (f", {ours / old:.2f}× the old up-front imports" if old else "")
    )
    print(
        f"fieldbot run polls after {poll:.2f} s "
        f"(goal ≤ {POLL_GOAL:g} s: {'met' if poll <= POLL_GOAL else 'NOT met'})"
    )
    for name in ("fieldbot --help", "fieldbot db --help"):
        ratio = figures[name] / baseline
        record(
            "1",
            f"{name} ÷ import sqlalchemy",
            f"{ratio:.2f}×",
            f"≤ {HELP_GOAL}×",
            ratio <= HELP_GOAL,
        )
    record(
        "1", "fieldbot run → first poll", f"{poll:.2f} s", f"≤ {POLL_GOAL:g} s", poll <= POLL_GOAL
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
