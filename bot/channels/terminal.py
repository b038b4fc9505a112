"""The terminal: the same engine with numbered choices, no token, no network.

`fieldbot demo` uses it with a local SQLite database that it fills with the
departments, the sample sites and a demo inspector and admin.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from bot.channels.numbered import render_numbered
from handlers.catalog import t
from handlers.engine import Engine
from handlers.messages import Inbound, Reply
from storage import people, sites
from storage.db import Database, upgrade

log = logging.getLogger(__name__)

DEMO_PEOPLE = {
    # terminal account -> (name, role, department)
    "demo-inspector": ("Nguyễn Thị Demo", "inspector", "QLTM"),
    "demo-admin": ("Trần Văn Quản Trị", "admin", "KTATMT"),
}


def render(reply: Reply, language: str) -> str:
    lines = [render_numbered(reply, language, indent="  ")]
    if reply.file is not None:
        lines.append(f"  [{reply.file}]")
    if reply.picture is not None:
        lines.append(f"  [{reply.picture}]")
    return "\n".join(lines)


async def prepare_demo_database(database: Database) -> None:
    """Schema, sample sites and the demo people; does nothing that is already there."""
    await upgrade(database.engine)
    async with database.session() as session:
        if not await sites.list_sites(session):
            rows, errors = sites.parse_sites_csv(sites.sample_sites_csv())
            assert not errors, errors  # the shipped sample is checked by the tests
            await sites.import_sites(session, rows)
        for account, (name, role, department) in DEMO_PEOPLE.items():
            if await people.find_by_account(session, "terminal", account) is None:
                await people.add_person(
                    session,
                    name=name,
                    role=role,
                    department_code=department,
                    accounts={"terminal": account},
                )
        await session.commit()


async def converse(
    engine: Engine,
    account: str,
    read_line: Callable[[], str | None],
    write: Callable[[str], None],
    language: str = "vi",
) -> None:
    """Reads lines until end of input or /quit; every line goes through the engine."""
    for reply in await engine.handle(Inbound(channel="terminal", sender_id=account, text="/start")):
        write(render(reply, language))
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
            write(render(reply, language))


async def _language_of(engine: Engine, account: str) -> str:
    try:
        async with engine.db.session() as session:
            person = await people.find_by_account(session, "terminal", account)
    except Exception:  # noqa: BLE001 - the database may be why the turn failed
        person = None
    return person.language if person else engine.settings.default_language


async def run_demo(engine: Engine, as_role: str = "inspector") -> None:
    await prepare_demo_database(engine.db)
    account = "demo-admin" if as_role == "admin" else "demo-inspector"

    def read_line() -> str | None:
        try:
            return input("> ")
        except EOFError:
            return None

    def write(text: str) -> None:
        print(text, flush=True)

    print(f"fieldbot demo — {DEMO_PEOPLE[account][0]} ({as_role}); /quit to leave.\n")
    await converse(engine, account, read_line, write)


def demo_database_url(folder: Path | None = None) -> str:
    return f"sqlite+aiosqlite:///{(folder or Path.cwd()) / 'fieldbot-demo.db'}"


def main_demo(engine: Engine, as_role: str) -> int:
    try:
        asyncio.run(run_demo(engine, as_role))
    except KeyboardInterrupt:
        print(file=sys.stderr)
    return 0
