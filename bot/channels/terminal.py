"""The terminal: the same engine with numbered choices, no token, no network.

`fieldbot demo` (bot/channels/demo.py) runs it on a database of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.channels.numbered import render_numbered
from handlers.catalog import t
from handlers.engine import Engine
from handlers.messages import Inbound, Reply
from storage import people

log = logging.getLogger(__name__)


def render(reply: Reply, language: str) -> str:
    if reply.edit_only:
        return ""  # a record of the answer, shown only where a message can be edited
    lines = [render_numbered(reply, language, indent="  ")]
    if reply.file is not None:
        lines.append(f"  [{reply.file}]")
    if reply.picture is not None:
        lines.append(f"  [{reply.picture}]")
    return "\n".join(lines)


async def converse(
    engine: Engine,
    account: str,
    read_line: Callable[[], str | None],
    write: Callable[[str], None],
    language: str = "vi",
) -> None:
    """Reads lines until end of input or /quit; every line goes through the engine."""
    for reply in await engine.handle(Inbound(channel="terminal", sender_id=account, text="/start")):
        if text := render(reply, language):
            write(text)
    while True:
        line = read_line()
        if line is None or line.strip() in ("/quit", "/exit"):
            return
        inbound = Inbound(channel="terminal", sender_id=account, text=line.rstrip("\n"))
        try:
            replies = await engine.handle(inbound)
        except Exception:  # the demo goes on, as the messengers do; nothing was stored
            log.exception("a demo turn failed")
            replies = [Reply(t(await _language_of(engine, account), "error_generic"))]
        # The person's language (/lang may just have changed it), for the list's hints too.
        language = await _language_of(engine, account)
        for reply in replies:
            if text := render(reply, language):
                write(text)


async def _language_of(engine: Engine, account: str) -> str:
    try:
        async with engine.db.session() as session:
            person = await people.find_by_account(session, "terminal", account)
    except Exception:  # noqa: BLE001 - the database may be why the turn failed
        person = None
    return person.language if person else engine.settings.default_language
