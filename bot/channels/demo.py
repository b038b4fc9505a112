"""`fieldbot demo`: the terminal channel on a SQLite file of its own, filled with the
departments, the sample sites and a demo inspector and admin; no token, no network."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.channels.terminal import converse
from handlers.engine import Engine
from storage import people, sites
from storage.db import Database, upgrade

DEMO_PEOPLE = {
    # terminal account -> (name, role, department)
    "demo-inspector": ("Nguyễn Thị Demo", "inspector", "QLTM"),
    "demo-admin": ("Trần Văn Quản Trị", "admin", "KTATMT"),
}


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

    print(f"fieldbot demo — {DEMO_PEOPLE[account][0]} ({as_role}); /quit to leave.")
    print(where_the_data_is(demo_database_path()) + "\n")
    await converse(engine, account, read_line, write)


DEMO_FILE = "fieldbot-demo.db"


def demo_database_path(folder: Path | None = None) -> Path:
    """The demo's own SQLite file, in the folder it is run from."""
    return (folder or Path.cwd()).absolute() / DEMO_FILE


def demo_database_url(folder: Path | None = None) -> str:
    return f"sqlite+aiosqlite:///{demo_database_path(folder)}"


def where_the_data_is(path: Path) -> str:
    """Said as the demo starts: where its checks are kept and how to look at them."""
    return (
        f"Demo database: {path} (delete it to start afresh).\n"
        "To look at its data, from this folder: fieldbot summary --demo, "
        "fieldbot export --demo --out demo.xlsx, fieldbot report --demo --out demo.docx"
    )


def main_demo(engine: Engine, as_role: str) -> int:
    try:
        asyncio.run(run_demo(engine, as_role))
    except KeyboardInterrupt:
        print(file=sys.stderr)
    return 0
