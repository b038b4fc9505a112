"""Inspectors complete supermarket checklists through the fake Telegram server; then,
in the same run, the same load against a bare python-telegram-bot echo bot.

    python -m tests.bench.bench_checklists [--inspectors 200] [--quick] [--rate-limiter off]

Full stack: the real TelegramChannel (Application, long polling, AIORateLimiter,
OnePersonInOrder) + engine + SQLite in a temp dir, seeded like tests/telegram_harness.py
plus N inspectors (QLTM, Telegram ids 100001...) and one supermarket per inspector (so no
inspector meets the "already checked this month" prompt and every run takes the same 18
updates). Echo bot: an Application built with the same settings as
bot/channels/telegram.py (rate limiter, concurrent update processor, connection pool)
whose only handler answers every update with one sendMessage carrying 3 inline buttons.

Each simulated person sends sequentially: an update, then waits for the reply to it,
then the next. Latency = from the moment the update is queued at the fake server
(user_sends_text / user_presses_button) to the moment the bot's reply to it (the
message holding the next prompt) reaches the server. Answers per second = updates
answered / wall time of the phase.

With the production rate limiter both bots share Telegram's 30 messages/s budget, so
this run measures whether the engine keeps up with it; ``--rate-limiter off`` takes it
out of both bots and measures the engine and database themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from sqlalchemy import func
from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    TypeHandler,
)

from bot.channels.telegram import OnePersonInOrder
from bot.config import Config, defaults
from storage import people, sites
from storage.models import Answer, ChecklistRun
from tests.bench.common import (
    BenchTelegram,
    Mailbox,
    migrated_sqlite,
    percentile,
    quiet_logging,
    table,
)
from tests.telegram_harness import running_bot, seed

FIRST_INSPECTOR = 100_001
FIRST_ECHO_USER = 200_001
PHOTO = b"\xff\xd8\xff\xe0 bench jpeg " + bytes(2000)
ANSWERS_PER_RUN = 11  # supermarket.toml with eco_label == yes: every question answered

# The same as TelegramChannel._build (bot/channels/telegram.py); checked at run time.
MAX_CONCURRENT_UPDATES = 256
CONNECTION_POOL_SIZE = 64
RATE_LIMITER_RETRIES = 5


@dataclass(frozen=True)
class Step:
    kind: str  # text | tap | photo | location
    arg: object
    expect: str  # a fragment of the bot's reply to this update


def site_name(i: int) -> str:
    return f"Siêu thị Thử Tải {i:04d}"


def supermarket_steps(i: int) -> list[Step]:
    """The full supermarket check of tests/test_telegram_checklists.py, on site i."""
    return [
        Step("text", "/start", "Chọn phiếu kiểm tra"),
        Step("tap", "Kiểm tra siêu thị", "Gõ một phần tên"),
        Step("text", f"thu tai {i:04d}", "Tìm thấy"),
        Step("tap", site_name(i), "Câu 1/11"),
        Step("tap", "Có", "Câu 2/11"),
        Step("tap", "Túi giấy", "Câu 2/11"),
        Step("tap", "Túi ni lông thường", "Câu 2/11"),
        Step("tap", "Xong", "Câu 3/11"),
        Step("text", "75%", "Câu 4/11"),
        Step("tap", "Một phần", "Câu 5/11"),
        Step("tap", "Không", "Câu 6/11"),
        Step("tap", "Có", "Câu 7/11"),
        Step("text", "1.200", "Câu 8/11"),
        Step("tap", "Có", "Câu 9/11"),
        Step("photo", PHOTO, "Câu 10/11"),
        Step("location", (15.1205, 108.7923), "Câu 11/11"),
        Step("text", "Quầy thu ngân có áp phích", "Xem lại"),
        Step("tap", "✅ Gửi", "Đã gửi phiếu"),
    ]


def echo_steps(i: int) -> list[Step]:
    """The same updates, kind for kind; a tap presses the echo's first button."""
    return [Step(s.kind, "A" if s.kind == "tap" else s.arg, "echo") for s in supermarket_steps(i)]


@dataclass
class Phase:
    name: str
    updates: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    by_step: dict[int, list[float]] = field(default_factory=dict)
    wall: float = 0.0
    messages: int = 0

    @property
    def throughput(self) -> float:
        return self.updates / self.wall if self.wall else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


async def run_people(
    tg: BenchTelegram, phase: Phase, user_ids: list[int], steps_of, timeout: float
) -> None:
    """Every simulated person goes through their steps at once, each one sequentially."""

    async def person(i: int, user_id: int) -> None:
        box = Mailbox(tg, user_id)
        name = f"Thanh tra {i:04d}"
        for number, step in enumerate(steps_of(i), start=1):
            try:
                if step.kind == "tap":
                    message_id, data = box.button(step.arg)
                    started = time.perf_counter()
                    tg.user_presses_button(
                        user_id, data, message_id=message_id, first_name=name, language_code="vi"
                    )
                else:
                    started = time.perf_counter()
                    if step.kind == "text":
                        tg.user_sends_text(user_id, step.arg, first_name=name, language_code="vi")
                    elif step.kind == "photo":
                        tg.user_sends_photo(user_id, step.arg, first_name=name)
                    else:
                        tg.user_sends_location(user_id, *step.arg, first_name=name)
                replied_at, _ = await box.expect(step.expect, timeout)
            except (TimeoutError, LookupError, AssertionError) as error:
                phase.errors.append(f"{type(error).__name__}: {error}")
                return  # this person gives up; the others go on
            phase.latencies.append(replied_at - started)
            phase.by_step.setdefault(number, []).append(replied_at - started)
            phase.updates += 1

    before = sum(len(tg.mailboxes[u]) for u in user_ids)
    started = time.perf_counter()
    await asyncio.gather(*(person(i, uid) for i, uid in enumerate(user_ids, start=1)))
    phase.wall = time.perf_counter() - started
    phase.messages = sum(len(tg.mailboxes[u]) for u in user_ids) - before


# --- the full stack ------------------------------------------------------------------


async def seed_inspectors(database, n: int) -> None:
    await seed(database)  # the sample sites and the harness's four people
    header = "code,name,kind,commune,old_district,province,status,note\n"
    lines = [
        f"ST-BENCH-{i:04d},{site_name(i)},supermarket,,TP Quảng Ngãi,Quảng Ngãi,"
        f"operating,benchmark\n"
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


def describe(application: Application) -> tuple:
    limiter = application.bot.rate_limiter
    processor = application.update_processor
    return (
        type(limiter).__name__ if limiter else "no rate limiter",
        getattr(limiter, "_max_retries", None),
        type(processor).__name__,
        processor.max_concurrent_updates,
    )


async def full_stack(
    tg: BenchTelegram, n: int, workdir: Path, rate_limiter: bool, timeout: float
) -> tuple[Phase, tuple, tuple[int, int]]:
    url, database = await migrated_sqlite(workdir / "fieldbot.db")
    try:
        await seed_inspectors(database, n)
    finally:
        await database.dispose()
    phase = Phase("full stack")
    no_limiter = (
        nullcontext()
        if rate_limiter
        else mock.patch("bot.channels.telegram.AIORateLimiter", lambda **_: None)
    )
    with no_limiter:
        async with running_bot(tg, url, workdir / "media") as channel:
            settings = describe(channel.application)
            await run_people(
                tg, phase, [FIRST_INSPECTOR + i for i in range(n)], supermarket_steps, timeout
            )
    return phase, settings, await check_stored(url, n)


async def check_stored(url: str, n: int) -> tuple[int, int]:
    """(runs submitted, runs submitted with every answer): each should be n."""
    from storage.db import Database

    database = Database(url)
    try:
        async with database.session() as session:
            submitted = set(
                (
                    await session.exec(
                        select(ChecklistRun.id).where(ChecklistRun.status == "submitted")
                    )
                ).all()
            )
            counts = (
                await session.exec(select(Answer.run_id, func.count()).group_by(Answer.run_id))
            ).all()
    finally:
        await database.dispose()
    complete = sum(
        1 for run_id, count in counts if run_id in submitted and count == ANSWERS_PER_RUN
    )
    return len(submitted), complete


# --- the echo bot --------------------------------------------------------------------

ECHO_KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton(label, callback_data=label.lower()) for label in "ABC"]]
)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        text = f"echo: {update.callback_query.data}"
    elif update.message is not None and update.message.text:
        text = f"echo: {update.message.text}"
    else:
        text = "echo"
    await context.bot.send_message(chat.id, text, reply_markup=ECHO_KEYBOARD)


def echo_application(tg: BenchTelegram, rate_limiter: bool, timezone) -> Application:
    builder = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.api_base_url)
        .base_file_url(tg.file_base_url)
        .defaults(Defaults(tzinfo=timezone))
        .concurrent_updates(OnePersonInOrder(MAX_CONCURRENT_UPDATES))
        .connection_pool_size(CONNECTION_POOL_SIZE)
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMITER_RETRIES))
    application = builder.build()
    application.add_handler(TypeHandler(Update, echo))
    return application


async def echo_bot(
    tg: BenchTelegram, n: int, rate_limiter: bool, timezone, timeout: float
) -> tuple[Phase, tuple]:
    application = echo_application(tg, rate_limiter, timezone)
    phase = Phase("echo bot")
    await application.initialize()
    await application.start()
    # The same polling call as TelegramChannel.start (poll_timeout=1 as in the harness).
    await application.updater.start_polling(
        poll_interval=0.0,
        timeout=1,
        drop_pending_updates=False,
        allowed_updates=["message", "callback_query"],
    )
    try:
        await run_people(tg, phase, [FIRST_ECHO_USER + i for i in range(n)], echo_steps, timeout)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
    return phase, describe(application)


# --- the report -------------------------------------------------------------------------


def step_table(full: Phase, echo_phase: Phase) -> str:
    rows = []
    for number, step in enumerate(supermarket_steps(1), start=1):
        what = f"{step.kind} {step.arg if step.kind in ('text', 'tap') else ''}".strip()
        full_ms = [x * 1000 for x in full.by_step.get(number, [])]
        echo_ms = [x * 1000 for x in echo_phase.by_step.get(number, [])]
        rows.append(
            (
                f"{number:2d} {what[:28]}",
                percentile(full_ms, 50),
                percentile(full_ms, 95),
                percentile(echo_ms, 50),
                percentile(echo_ms, 95),
            )
        )
    return table(["step", "full p50", "full p95", "echo p50", "echo p95"], rows)


def report(
    full: Phase,
    echo_phase: Phase,
    n: int,
    settings: tuple,
    stored: tuple[int, int],
    rate_limiter: bool,
    elapsed: float,
    by_step: bool = False,
) -> bool:
    steps = len(supermarket_steps(1))
    limiter = (
        f"{settings[0]}(max_retries={settings[1]})"
        if rate_limiter
        else "no rate limiter (--rate-limiter off)"
    )
    print(
        f"\nChecklists: {n} inspectors × {steps} updates (a full supermarket check), "
        f"SQLite in a temp dir, fake Telegram on 127.0.0.1"
    )
    print(
        f"both bots: {limiter}, {settings[2]}({settings[3]}), "
        f"connection_pool_size {CONNECTION_POOL_SIZE}"
    )
    rows = [
        (
            phase.name,
            phase.updates,
            len(phase.errors),
            phase.wall,
            phase.throughput,
            phase.p(50),
            phase.p(95),
            phase.messages / phase.updates if phase.updates else 0.0,
        )
        for phase in (full, echo_phase)
    ]
    print(
        table(
            ["bot", "answers", "errors", "wall s", "answers/s", "p50 ms", "p95 ms", "msgs/answer"],
            rows,
        )
    )
    throughput_ratio = full.throughput / echo_phase.throughput if echo_phase.throughput else 0
    p95_ratio = full.p(95) / echo_phase.p(95) if echo_phase.latencies else float("nan")
    print(
        f"ratio full/echo: throughput {throughput_ratio:.2f} (goal ≥ 0.70: "
        f"{'met' if throughput_ratio >= 0.7 else 'NOT met'}), p95 {p95_ratio:.2f} "
        f"(goal ≤ 2.00: {'met' if p95_ratio <= 2.0 else 'NOT met'})"
    )
    if rate_limiter:
        print(
            "(the rate limiter caps both bots at 30 sendMessage/s overall, so answers/s "
            "≈ 30 ÷ msgs/answer; --rate-limiter off measures the engine itself)"
        )
    print(f"stored: {stored[0]}/{n} runs submitted, {stored[1]} with all {ANSWERS_PER_RUN} answers")
    if by_step:
        print("latency by step, ms:")
        print(step_table(full, echo_phase))
    for phase in (full, echo_phase):
        for error in phase.errors[:5]:
            print(f"  {phase.name} error: {error}")
    print(f"(benchmark took {elapsed:.0f} s)")
    return not full.errors and not echo_phase.errors and stored == (n, n)


async def main_async(args: argparse.Namespace) -> bool:
    began = time.perf_counter()
    n = args.inspectors
    rate_limiter = args.rate_limiter == "on"
    with tempfile.TemporaryDirectory(prefix="fieldbot-bench-") as tmp:
        async with BenchTelegram() as tg:
            full, settings, stored = await full_stack(tg, n, Path(tmp), rate_limiter, args.timeout)
            timezone = Config(defaults()).timezone
            echo_phase, echo_settings = await echo_bot(tg, n, rate_limiter, timezone, args.timeout)
    if settings != echo_settings:
        print(
            f"warning: the echo bot's settings {echo_settings} differ from the "
            f"channel's {settings}; update tests/bench/bench_checklists.py"
        )
    return report(
        full,
        echo_phase,
        n,
        settings,
        stored,
        rate_limiter,
        time.perf_counter() - began,
        args.by_step,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_checklists", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--inspectors",
        type=int,
        default=200,
        help="simulated inspectors, all at once (default 200)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 inspectors")
    parser.add_argument(
        "--rate-limiter",
        choices=("on", "off"),
        default="on",
        help="AIORateLimiter in both bots as in production (default on)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds a person waits for one reply before giving up",
    )
    parser.add_argument(
        "--by-step", action="store_true", help="also print p50/p95 for each of the 18 steps"
    )
    parser.add_argument("--verbose", action="store_true", help="log at INFO")
    args = parser.parse_args(argv)
    if args.quick:
        args.inspectors = min(args.inspectors, 20)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_logging(args.verbose)
    return 0 if asyncio.run(main_async(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
