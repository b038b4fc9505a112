"""The two child processes of tests/bench/bench_turns.py.

bot   `fieldbot --config FILE run`, as the console script runs it, with AIORateLimiter
      patched out and SQLAlchemy events counting every statement, transaction and pool
      checkout; SIGUSR1 writes the counters to a JSON file.
echo  a bare python-telegram-bot Application (long polling, concurrent updates) that
      answers each update with one message carrying three inline buttons.
echo-calls  the same, making the Bot API calls a checklist turn makes: a tap is
      acknowledged (answerCallbackQuery) and its message edited (the chosen answer
      shown, the buttons gone) before the next message is sent. Not a goal: it shows
      how much of the bot's cost the Telegram work alone accounts for.
BENCH_PROFILE=FILE runs either under cProfile and writes the profile at exit.
"""

from __future__ import annotations

import cProfile
import functools
import json
import os
import re
import signal
from collections import Counter
from pathlib import Path
from unittest import mock

TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)|\b(pg_\w+)\(", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)  # the same few statements, parsed once (not our CPU)
def statement_kind(statement: str) -> str:
    """ "SELECT person", "UPDATE checklist_run", "SELECT pg_try_advisory_xact_lock"."""
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    if verb == "WITH":
        return "WITH " + ",".join(sorted({m[0] or m[1] for m in TABLE.findall(statement)}))
    outer = statement
    while verb == "SELECT" and "(" in outer:  # the main FROM, not a subquery's
        outer, before = re.sub(r"\([^()]*\)", " ", outer), outer
        if outer == before:
            break
    found = TABLE.search(outer) or TABLE.search(statement)
    return f"{verb} {(found.group(1) or found.group(2)) if found else ''}".strip()


def install_counters(stats: Path) -> Counter:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    counts: Counter = Counter()

    def executed(_conn, _cursor, statement, _params, _context, executemany) -> None:
        counts["sql " + statement_kind(statement) + (" (many)" if executemany else "")] += 1

    event.listen(Engine, "before_cursor_execute", executed)
    for name in ("begin", "commit", "rollback"):
        event.listen(Engine, name, lambda _conn, name=name: counts.update((name,)))
    event.listen(Pool, "checkout", lambda *_: counts.update(("checkout",)))

    def dump(_signum, _frame) -> None:
        partial = stats.with_suffix(".part")
        partial.write_text(json.dumps(counts))
        partial.replace(stats)  # the parent never reads half a file

    signal.signal(signal.SIGUSR1, dump)
    return counts


def run_bot(args) -> int:
    install_counters(args.stats)
    from bot.cli import main

    with mock.patch("bot.channels.telegram.AIORateLimiter", lambda **_: None):
        return main(["--config", args.config, "run"])


async def echo(update, context) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        text = f"echo: {update.callback_query.data}"
    elif update.message is not None and update.message.text:
        text = f"echo: {update.message.text}"
    else:
        text = "echo"
    buttons = [InlineKeyboardButton(label, callback_data=label.lower()) for label in "ABC"]
    await context.bot.send_message(chat.id, text, reply_markup=InlineKeyboardMarkup([buttons]))


async def echo_with_calls(update, context) -> None:
    """A tap: acknowledged and its message edited, as a turn does, then the echo."""
    query = update.callback_query
    if query is not None and query.message is not None:
        await query.answer()
        await query.message.edit_text(f"→ {query.data}")  # "echo" is the next message's
    await echo(update, context)


def run_echo(args, handler=echo) -> int:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, TypeHandler

    install_counters(args.stats)  # nothing to count; answers the parent's signal
    application = (
        ApplicationBuilder()
        .token(args.token)
        .base_url(args.api)
        .base_file_url(args.files)
        .concurrent_updates(256)
        .connection_pool_size(64)
        .build()
    )
    application.add_handler(TypeHandler(Update, handler))
    application.run_polling(
        poll_interval=0.0,
        timeout=30,
        allowed_updates=["message", "edited_message", "callback_query"],
        stop_signals=(signal.SIGTERM, signal.SIGINT),
    )
    return 0


def run(args) -> int:
    work = {
        "echo": run_echo,
        "echo-calls": lambda args: run_echo(args, echo_with_calls),
    }.get(args.child, run_bot)
    profile_to = os.environ.get("BENCH_PROFILE")
    if not profile_to:
        return work(args)
    profiler = cProfile.Profile()
    try:
        return profiler.runcall(work, args)
    finally:
        profiler.dump_stats(profile_to)
