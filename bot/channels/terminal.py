"""The terminal: the same engine with numbered choices, no token, no network.

`fieldbot demo` (bot/channels/demo.py) runs it on a database of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.channels import language_of
from bot.channels.numbered import render_numbered
from bot.channels.registry import capabilities_of
from handlers.catalog import t
from handlers.engine import Engine
from handlers.messages import Inbound, Reply

log = logging.getLogger(__name__)

CHANNEL = "terminal"


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
    capabilities = capabilities_of(CHANNEL)

    def inbound(text: str) -> Inbound:
        return Inbound(
            channel=CHANNEL,
            sender_id=account,
            text=text,
            can_receive_files=capabilities.files,
            can_show_buttons=capabilities.buttons,
        )

    for reply in await engine.handle(inbound("/start")):
        if text := render(reply, language):
            write(text)
    while True:
        line = read_line()
        if line is None or line.strip() in ("/quit", "/exit"):
            return
        try:
            replies = await engine.handle(inbound(line.rstrip("\n")))
        except Exception:  # the demo goes on, as the messengers do; nothing was stored
            log.exception("a demo turn failed")
            replies = [Reply(t(await language_of(engine, CHANNEL, account), "error_generic"))]
        # The person's language (/lang may just have changed it), for the list's hints too.
        language = await language_of(engine, CHANNEL, account)
        for reply in replies:
            if text := render(reply, language):
                write(text)
