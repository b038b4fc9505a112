"""Checklist turns: inspectors answer through the fake Telegram server, the bot and a bare
python-telegram-bot echo bot each running as their own process, rate limiter off.

    python -m tests.bench.bench_turns [--inspectors 200] [--quick] [--sqlite-only]
                                      [--postgresql ADMIN_URL] [--profile DIR]

Ours: the real `fieldbot run` (inbox, engine, outbox; long polling) in a child process
with AIORateLimiter patched out, on SQLite in a temp dir and on a scratch PostgreSQL
database. Echo: an Application polling the same way (concurrent updates) whose only
handler answers each update with one sendMessage carrying three inline buttons.
The fake server and the simulated people share the parent's event loop, the same for
both bots. Each person sends one update, waits for the reply, sends the next.

A second reference, echo-calls, makes the Bot API calls a turn makes (a tap
acknowledged and its message edited, then the echo sent): ours ÷ echo-calls is what
the bot costs beyond its Telegram work. It is shown, not a goal.

Figures: answers/s (updates answered / wall time of the phase), CPU per answer (the
child's user+system time from /proc over the phase, every thread), getUpdates calls
per answer, and SQL per answer counted in the child with SQLAlchemy events (cursor
executes, transaction begins and commits, pool checkouts). Goals (issue 11 goal 5):
answers/s ≥ 0.8× the echo's, CPU per answer ≤ 2× the echo's, ≤ 3 statements per answer
plus BEGIN/COMMIT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from storage import people, sites
from storage.db import Database, upgrade
from tests.bench.common import (
    PG_ADMIN_URL,
    BenchTelegram,
    Mailbox,
    drop_postgres,
    percentile,
    quiet_logging,
    record,
    scratch_postgres,
    table,
)
from tests.bot_process import write_config
from tests.telegram_harness import seed

FIRST_INSPECTOR = 100_001
FIRST_ECHO_USER = 200_001
PHOTO = b"\xff\xd8\xff\xe0 bench jpeg " + bytes(2000)
TICKS = os.sysconf("SC_CLK_TCK")
GOAL_THROUGHPUT, GOAL_CPU, GOAL_STATEMENTS = 0.8, 2.0, 3.0


def site_name(i: int) -> str:
    return f"Siêu thị Thử Tải {i:04d}"


def supermarket_steps(i: int) -> list[tuple[str, object, str]]:
    """(kind, what, a fragment of the reply): a full supermarket check on site i."""
    return [
        ("text", "/start", "Chọn phiếu kiểm tra"),
        ("tap", "Kiểm tra siêu thị", "Gõ một phần tên"),
        ("text", f"thu tai {i:04d}", "Câu 1/11"),  # the one site found is taken
        ("tap", "Có", "Câu 2/11"),
        ("tap", "Túi giấy", "Câu 2/11"),
        ("tap", "Túi ni lông thường", "Câu 2/11"),
        ("tap", "Xong", "Câu 3/11"),
        ("text", "75%", "Câu 4/11"),
        ("tap", "Một phần", "Câu 5/11"),
        ("tap", "Không", "Câu 6/11"),
        ("tap", "Có", "Câu 7/11"),
        ("text", "1.200", "Câu 8/11"),
        ("tap", "Có", "Câu 9/11"),
        ("photo", PHOTO, "Câu 10/11"),
        ("location", (15.1205, 108.7923), "Câu 11/11"),
        ("text", "Quầy thu ngân có áp phích", "Xem lại"),
        ("tap", "✅ Gửi", "Đã gửi phiếu"),
    ]


def echo_steps(i: int) -> list[tuple[str, object, str]]:
    """The same updates, kind for kind; a tap presses the echo's first button."""
    return [(k, "A" if k == "tap" else what, "echo") for k, what, _ in supermarket_steps(i)]


class CountingTelegram(BenchTelegram):
    """Counts getUpdates calls and notes the first one (the bot is polling)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.polls = 0
        self.polling = asyncio.Event()

    async def _api_getUpdates(self, params, files, request):
        self.polls += 1
        self.polling.set()
        return await super()._api_getUpdates(params, files, request)


@dataclass
class Phase:
    name: str
    answers: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    polls: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sql: Counter = field(default_factory=Counter)
    statements: Counter = field(default_factory=Counter)
    api_calls: Counter = field(default_factory=Counter)  # Bot API method -> calls

    @property
    def rate(self) -> float:
        return self.answers / self.wall if self.wall else 0.0

    def per_answer(self, value: float) -> float:
        return value / self.answers if self.answers else float("nan")


async def person(tg: CountingTelegram, phase: Phase, i: int, user_id: int, steps, timeout):
    box = Mailbox(tg, user_id)
    name = f"Thanh tra {i:04d}"
    for kind, what, expect in steps:
        try:
            if kind == "tap":
                message_id, data = box.button(what)
            started = time.perf_counter()
            if kind == "tap":
                tg.user_presses_button(user_id, data, message_id=message_id, first_name=name)
            elif kind == "text":
                tg.user_sends_text(user_id, what, first_name=name, language_code="vi")
            elif kind == "photo":
                tg.user_sends_photo(user_id, what, first_name=name)
            else:
                tg.user_sends_location(user_id, *what, first_name=name)
            replied_at, _ = await box.expect(expect, timeout)
        except (TimeoutError, LookupError, AssertionError) as error:
            phase.errors.append(f"{type(error).__name__}: {error}")
            return  # this person gives up; the others go on
        phase.latencies.append(replied_at - started)
        phase.answers += 1


# --- the child processes ---------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system time of a process and all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Child:
    """`python -m tests.bench.bench_turns --child KIND ...`, its counters read on SIGUSR1."""

    def __init__(self, kind: str, args: list[str], folder: Path) -> None:
        self.kind, self.args = kind, args
        self.stats = folder / f"{kind}.stats.json"
        self.log = folder / f"{kind}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, profile: Path | None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}
        if profile:
            env["BENCH_PROFILE"] = str(profile / f"{self.kind}-{uuid.uuid4().hex[:6]}.prof")
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.bench.bench_turns",
                "--child",
                self.kind,
                "--stats",
                str(self.stats),
                *self.args,
                stdout=log,
                stderr=log,
                env=env,
            )

    async def counters(self) -> Counter:
        """What the child counted so far (it writes them when signalled)."""
        self.stats.unlink(missing_ok=True)
        self.process.send_signal(signal.SIGUSR1)
        for _ in range(200):
            if self.stats.exists():
                try:
                    return Counter(json.loads(self.stats.read_text()))
                except ValueError:
                    pass  # half written
            await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.kind}: no counters; see {self.log}")

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def measure(tg, child: Child, phase: Phase, user_ids, steps_of, args) -> Phase:
    await child.start(args.profile)
    try:
        await asyncio.wait_for(tg.polling.wait(), 120)
        await asyncio.sleep(0.5)  # start-up work (what the last run left) is done
        before, cpu, polls = await child.counters(), cpu_seconds(child.process.pid), tg.polls
        sent_before = len(tg.sent)
        began = time.perf_counter()
        await asyncio.gather(
            *(
                person(tg, phase, i, uid, steps_of(i), args.timeout)
                for i, uid in enumerate(user_ids, start=1)
            )
        )
        phase.wall = time.perf_counter() - began
        await asyncio.sleep(0.2)  # the last replies' bookkeeping
        phase.cpu = cpu_seconds(child.process.pid) - cpu
        phase.polls = tg.polls - polls
        phase.api_calls = Counter(record.method for record in tg.sent[sent_before:])
        after = await child.counters()
    finally:
        await child.stop()
    for key, value in after.items():
        target = phase.statements if key.startswith("sql ") else phase.sql
        target[key.removeprefix("sql ")] = value - before.get(key, 0)
    return phase


# --- the databases ------------------------------------------------------------------


async def seed_inspectors(url: str, n: int) -> None:
    database = Database(url)
    try:
        await upgrade(database.engine)
        await seed(database)
        header = "code,name,kind,commune,old_district,province,status,note\n"
        lines = [
            f"ST-BENCH-{i:04d},{site_name(i)},supermarket,,TP Quảng Ngãi,Quảng Ngãi,"
            "operating,benchmark\n"
            for i in range(1, n + 1)
        ]
        rows, errors = sites.parse_sites_csv(header + "".join(lines))
        assert not errors, errors
        async with database.session() as session:
            await sites.import_sites(session, rows)
            for i in range(1, n + 1):
                await people.add_person(
                    session,
                    name=f"Thanh tra {i:04d}",
                    role="inspector",
                    department_code="QLTM",
                    accounts={"telegram": str(FIRST_INSPECTOR + i - 1)},
                )
            await session.commit()
    finally:
        await database.dispose()


async def ours(url: str, label: str, folder: Path, args) -> Phase:
    await seed_inspectors(url, args.inspectors)
    phase = Phase(f"ours ({label})")
    async with CountingTelegram() as tg:
        config = write_config(
            folder / f"{label}.toml",
            url,
            folder / "media",
            telegram={
                "token": tg.token,
                "api_base_url": tg.api_base_url,
                "file_base_url": tg.file_base_url,
            },
        )
        child = Child(f"bot-{label}", ["--config", str(config)], folder)
        users = [FIRST_INSPECTOR + i for i in range(args.inspectors)]
        return await measure(tg, child, phase, users, supermarket_steps, args)


async def echo(folder: Path, args, kind: str = "echo") -> Phase:
    phase = Phase(kind)
    async with CountingTelegram() as tg:
        urls = ["--token", tg.token, "--api", tg.api_base_url, "--files", tg.file_base_url]
        child = Child(kind, urls, folder)
        users = [FIRST_ECHO_USER + i for i in range(args.inspectors)]
        return await measure(tg, child, phase, users, echo_steps, args)


# --- the report ---------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(phases: list[Phase], baseline: Phase, calls: Phase, n: int, elapsed: float) -> bool:
    print(
        f"\nChecklist turns: {n} inspectors × {len(supermarket_steps(1))} updates, "
        "rate limiter off, each bot its own process, fake Telegram on 127.0.0.1"
    )
    rows = []
    for p in [*phases, baseline, calls]:
        answers = p.answers or 1
        rows.append(
            (
                p.name,
                p.answers,
                len(p.errors),
                p.rate,
                p.per_answer(p.cpu) * 1000,
                percentile(p.latencies, 50) * 1000,
                percentile(p.latencies, 95) * 1000,
                p.polls / answers,
                p.statements.total() / answers,
                (p.sql["begin"]) / answers,
                p.sql["checkout"] / answers,
            )
        )
    headers = ["bot", "answers", "errors", "answers/s", "CPU ms/answer", "p50 ms", "p95 ms"]
    headers += ["polls/answer", "SQL/answer", "BEGIN/answer", "checkouts/answer"]
    print(table(headers, rows))
    ok = not baseline.errors and not calls.errors
    for reference in (baseline, calls):
        made = ", ".join(
            f"{count / (reference.answers or 1):.2f} {method}"
            for method, count in reference.api_calls.most_common()
        )
        print(f"{reference.name}: Bot API calls per answer besides getUpdates: {made}")
    cpu_echo = baseline.per_answer(baseline.cpu)
    cpu_calls = calls.per_answer(calls.cpu)
    for p in phases:
        rate = p.rate / baseline.rate if baseline.rate else 0.0
        cpu = p.per_answer(p.cpu) / cpu_echo if cpu_echo else float("nan")
        sql = p.statements.total() / (p.answers or 1)
        print(
            f"{p.name}: answers/s {rate:.2f}× echo (goal ≥ {GOAL_THROUGHPUT}: "
            f"{verdict(rate >= GOAL_THROUGHPUT)}); CPU per answer {cpu:.2f}× echo (goal ≤ "
            f"{GOAL_CPU}: {verdict(cpu <= GOAL_CPU)}); {sql:.2f} statements per answer plus "
            f"BEGIN/COMMIT (goal ≤ {GOAL_STATEMENTS}: {verdict(sql <= GOAL_STATEMENTS)})"
        )
        common = ", ".join(
            f"{count / (p.answers or 1):.2f} {text}" for text, count in p.statements.most_common(12)
        )
        print(f"  per answer: {common}")
        made = ", ".join(
            f"{count / (p.answers or 1):.2f} {method}"
            for method, count in p.api_calls.most_common()
        )
        print(f"  Bot API calls per answer besides getUpdates: {made}")
        beyond = p.per_answer(p.cpu) / cpu_calls if cpu_calls else float("nan")
        print(
            f"  CPU per answer {beyond:.2f}× echo-calls' (an echo making a turn's Bot API "
            f"calls: {cpu_calls * 1000:.2f} ms, the bare echo {cpu_echo * 1000:.2f} ms)"
        )
        where = f"{n} inspectors, {p.name.removeprefix('ours (').rstrip(')')}"
        record(
            "5",
            f"turns: answers/s ÷ echo ({where})",
            f"{rate:.2f}×",
            f"≥ {GOAL_THROUGHPUT}×",
            rate >= GOAL_THROUGHPUT,
        )
        record(
            "5",
            f"turns: CPU per answer ÷ echo ({where})",
            f"{cpu:.2f}×",
            f"≤ {GOAL_CPU:g}×",
            cpu <= GOAL_CPU,
        )
        record(
            "5",
            f"turns: SQL statements per answer ({where})",
            f"{sql:.2f}",
            f"≤ {GOAL_STATEMENTS:g} + BEGIN/COMMIT",
            sql <= GOAL_STATEMENTS,
        )
        record("5", f"turns: CPU per answer ÷ echo-calls ({where})", f"{beyond:.2f}×")
        if p.errors:
            record("5", f"turns: errors ({where})", str(len(p.errors)), "0", False)
        ok = ok and not p.errors
    for p in [*phases, baseline, calls]:
        for error in p.errors[:3]:
            print(f"  {p.name} error: {error}")
    print(f"(benchmark took {elapsed:.0f} s)")
    return ok


async def main_async(args) -> bool:
    began = time.perf_counter()
    phases = []
    with tempfile.TemporaryDirectory(prefix="fieldbot-turns-") as tmp:
        folder = Path(tmp)
        phases.append(
            await ours(f"sqlite+aiosqlite:///{folder / 'turns.db'}", "SQLite", folder, args)
        )
        if not args.sqlite_only:
            url = await scratch_postgres(args.postgresql)
            if url:
                try:
                    phases.append(await ours(url, "PostgreSQL", folder, args))
                finally:
                    await drop_postgres(args.postgresql, url)
        baseline = await echo(folder, args)
        calls = await echo(folder, args, "echo-calls")
        if any(p.errors for p in [*phases, baseline, calls]):
            for log in folder.glob("*.log"):
                print(f"--- {log.name} (tail)\n" + log.read_text(errors="replace")[-2000:])
    return report(phases, baseline, calls, args.inspectors, time.perf_counter() - began)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_turns", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--inspectors", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 30 inspectors")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--postgresql",
        metavar="ADMIN_URL",
        default=PG_ADMIN_URL,
        help="a PostgreSQL server's database to create a scratch database beside",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per reply")
    parser.add_argument("--profile", type=Path, help="cProfile each child into this folder")
    parser.add_argument("--child", choices=("bot-SQLite", "bot-PostgreSQL", "echo", "echo-calls"))
    parser.add_argument("--stats", type=Path)
    parser.add_argument("--config")
    parser.add_argument("--token")
    parser.add_argument("--api")
    parser.add_argument("--files")
    args = parser.parse_args(argv)
    if args.quick:
        args.inspectors = min(args.inspectors, 30)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        from tests.bench import turns_child

        return turns_child.run(args)
    quiet_logging()
    return 0 if asyncio.run(main_async(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
