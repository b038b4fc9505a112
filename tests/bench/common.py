"""What the benchmarks share: a fake Telegram server that timestamps every message,
per-chat mailboxes that do not rescan the whole history, table printing, and the
figures each benchmark records against its goal (run_all prints them together).

``FakeTelegram.wait_for_message`` rescans every message ever sent on each wake-up and
wakes every waiter on each send: fine for tests, quadratic for hundreds of simulated
people. ``BenchTelegram`` keeps a mailbox per chat instead, and records the moment each
message reached the server (``time.perf_counter``), so latencies do not include the
simulated user's own wake-up delay.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Database, upgrade
from tests.fake_telegram import FakeTelegram, InjectedFailure, SentRecord


class BenchTelegram(FakeTelegram):
    """FakeTelegram plus timestamps and per-chat mailboxes (extends two private hooks)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mailboxes: dict[Any, list[tuple[float, SentRecord]]] = defaultdict(list)
        self.failure_log: list[tuple[float, InjectedFailure]] = []
        self.on_message: Callable[[float, SentRecord], None] | None = None
        self._wakeups: dict[Any, asyncio.Event] = {}

    def _record(self, name, params, files=None, message=None, text=None) -> None:
        super()._record(name, params, files, message, text)
        record = self.sent[-1]
        if record.message is None:
            return  # answerCallbackQuery, setMyCommands...: not a message to a chat
        now = time.perf_counter()
        self.mailboxes[record.chat_id].append((now, record))
        event = self._wakeups.pop(record.chat_id, None)
        if event is not None:
            event.set()
        if self.on_message is not None:
            self.on_message(now, record)

    def _fail(self, name, params, fault):
        response = super()._fail(name, params, fault)
        self.failure_log.append((time.perf_counter(), self.failures[-1]))
        return response

    async def _wait_for_mail(self, chat_id: Any, timeout: float) -> None:
        event = self._wakeups.setdefault(chat_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), max(timeout, 0))
        except TimeoutError:
            pass


class Mailbox:
    """One simulated person's view of the chat: reads each bot message once, in order."""

    def __init__(self, tg: BenchTelegram, chat_id: int) -> None:
        self.tg = tg
        self.chat_id = chat_id
        self.cursor = len(tg.mailboxes[chat_id])
        self.last: SentRecord | None = None

    async def expect(self, fragment: str, timeout: float) -> tuple[float, SentRecord]:
        """The next message holding ``fragment`` (earlier ones count as read) and the
        moment it reached the server."""
        box = self.tg.mailboxes[self.chat_id]
        deadline = time.perf_counter() + timeout
        while True:
            while self.cursor < len(box):
                at, record = box[self.cursor]
                self.cursor += 1
                if fragment in (record.text or ""):
                    self.last = record
                    return at, record
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                seen = [r.text[:60] for _, r in box[-3:] if r.text]
                raise TimeoutError(
                    f"chat {self.chat_id}: no {fragment!r} within {timeout:.0f}s; last: {seen}"
                )
            await self.tg._wait_for_mail(self.chat_id, remaining)

    def button(self, label: str) -> tuple[int, str]:
        """(message id, callback data) of the newest button whose text is, starts or
        ends with ``label`` (a ticked choice reads "✅ Túi giấy")."""
        box = self.tg.mailboxes[self.chat_id]
        for _, record in reversed(box[: self.cursor]):
            for button in record.buttons:
                text = button.get("text", "")
                if text == label or text.startswith(label) or text.endswith(label):
                    return record.message_id, button["callback_data"]
        raise LookupError(f"chat {self.chat_id}: no button {label!r}")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "—" if math.isnan(value) else f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append(
            "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


async def migrated_sqlite(path, url: str | None = None) -> tuple[str, Database]:
    """A migrated SQLite file at ``path`` (or the empty database at ``url``)."""
    url = url or f"sqlite+aiosqlite:///{path}"
    database = Database(url)
    await upgrade(database.engine)
    return url, database


def quiet_logging(verbose: bool = False) -> None:
    """Warnings only (the bot's own warnings and errors do show); httpx logs every request."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@dataclass(frozen=True)
class Figure:
    """One measured figure against its goal in issue 11 (``met`` None: shown, no goal)."""

    goal: str
    what: str
    value: str
    target: str
    met: bool | None


# Every figure the benchmarks measured in this process, in order: run_all prints them
# as one table at the end.
FIGURES: list[Figure] = []


def record(goal: str, what: str, value: str, target: str = "", met: bool | None = None) -> None:
    FIGURES.append(Figure(goal, what, value, target, met))


def figures_table(figures: Sequence[Figure]) -> str:
    verdicts = {True: "met", False: "NOT met", None: "—"}
    rows = [("goal", "figure", "ours", "goal is", "met?")]
    rows += [(f.goal, f.what, f.value, f.target, verdicts[f.met]) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


# Where a scratch PostgreSQL database is created (and dropped after) for a benchmark.
PG_ADMIN_URL = os.environ.get("FIELDBOT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def postgres_admin(admin_url: str):
    import asyncpg

    return await asyncpg.connect(admin_url.replace("+asyncpg", ""), timeout=5)


async def scratch_postgres(admin_url: str) -> str | None:
    """A new empty database beside ``admin_url``'s (None if the server is away)."""
    try:
        connection = await postgres_admin(admin_url)
    except Exception as error:  # noqa: BLE001 - any failure means "not here"
        print(f"PostgreSQL at {admin_url}: unreachable ({type(error).__name__}); skipped")
        return None
    name = f"fieldbot_bench_{uuid.uuid4().hex[:10]}"
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def drop_postgres(admin_url: str, url: str) -> None:
    connection = await postgres_admin(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()
