"""The web console on a seeded database: the sample sites, one person of each role
(tests.telegram_harness.seed), and submitted checks with a photo; a browser-less
client (httpx over ASGI) that signs in the way a person does, from a one-time link."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.config import Config, defaults
from bot.web.app import create_app
from bot.web.auth import create_login_link
from storage.models import Answer, ChecklistRun, Person, Site

# A tiny valid JPEG (1x1 pixel) standing in for an inspector's photo.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b"
    "0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e3334"
    "32ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708"
    "090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114"
    "328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748"
    "494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2"
    "a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9"
    "eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)

NAMES = {
    "inspector": "Lê Thị Kiểm",
    "cluster_inspector": "Phạm Văn Cụm",
    "admin": "Trần Quản Trị",
    "head": "Võ Trưởng Phòng",
}


@dataclass
class Console:
    app: object
    database: object
    config: Config
    media: Path
    runs: dict[str, int]

    async def person(self, key: str) -> Person:
        async with self.database.session() as session:
            statement = select(Person).where(Person.name == NAMES[key])
            return (await session.exec(statement)).one()

    async def link(self, key: str) -> str:
        """A fresh one-time link for that person, as /web would send it."""
        person = await self.person(key)
        async with self.database.session() as session:
            link = await create_login_link(session, person, self.config.web_base_url)
            await session.commit()
        return link

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        return httpx.AsyncClient(transport=transport, base_url=self.config.web_base_url)

    def signed_in(self, key: str):
        """``async with console.signed_in("admin") as client``: a browser-less client
        signed in from a fresh link."""
        return _SignedIn(self, key)

    async def open_signed_in(self, key: str) -> httpx.AsyncClient:
        client = self.client()
        path = httpx.URL(await self.link(key)).path
        answer = await client.post(path)
        assert answer.status_code == 303, answer.text
        return client


class _SignedIn:
    def __init__(self, console: Console, key: str) -> None:
        self.console, self.key = console, key

    async def __aenter__(self) -> httpx.AsyncClient:
        self.client = await self.console.open_signed_in(self.key)
        return self.client

    async def __aexit__(self, *_exc) -> None:
        await self.client.aclose()


async def _submitted_check(session, person, site, answers: dict, when: datetime) -> int:
    run = ChecklistRun(
        person_id=person.id,
        site_id=site.id if site else None,
        checklist_id="supermarket",
        checklist_version=1,
        status="submitted",
        phase="review",
        started_at=when,
        updated_at=when,
        submitted_at=when,
    )
    session.add(run)
    await session.flush()
    for question_id, value in answers.items():
        row = Answer(run_id=run.id, question_id=question_id, answered_at=when)
        if isinstance(value, dict):
            row.value_json = value
        elif isinstance(value, int | float):
            row.value_number = value
        else:
            row.value_text = value
        session.add(row)
    await session.flush()
    return run.id


async def add_checks(database, media: Path) -> dict[str, int]:
    """Two supermarket checks by the QLTM inspector (one with a photo and a location)
    and one by the admin, this year."""
    now = datetime.now(UTC)
    async with database.session() as session:
        people = {p.name: p for p in (await session.exec(select(Person))).all()}
        shops = (
            await session.exec(select(Site).where(Site.kind == "supermarket").order_by(Site.code))
        ).all()
        # The sample file has no coordinates: the admin has placed the shops on the map.
        for number, shop in enumerate(shops[:5]):
            shop.latitude, shop.longitude = 15.10 + number * 0.01, 108.78 + number * 0.01
            session.add(shop)
        folder = media / "photos"
        folder.mkdir(parents=True, exist_ok=True)
        photo = folder / "photo-1.jpg"
        photo.write_bytes(JPEG)
        inspector, admin = people[NAMES["inspector"]], people[NAMES["admin"]]
        runs = {
            "with_photo": await _submitted_check(
                session,
                inspector,
                shops[0],
                {
                    "nonbio_bags": "no",
                    "packaging_replaced": "full",
                    "eco_label_count": 12,
                    "photo": str(photo),
                    "location": {"lat": 15.1205, "lon": 108.7923},
                    "note": "Quầy thu ngân dùng túi giấy",
                },
                now - timedelta(days=2),
            ),
            "plain": await _submitted_check(
                session, inspector, shops[1], {"nonbio_bags": "yes"}, now - timedelta(days=1)
            ),
            "by_admin": await _submitted_check(
                session, admin, shops[2], {"nonbio_bags": "no"}, now - timedelta(hours=3)
            ),
        }
        await session.commit()
    return runs


@pytest.fixture
async def console(sqlite_db, sqlite_target, tmp_path):
    from tests.telegram_harness import seed

    await seed(sqlite_db)
    media = tmp_path / "media"
    runs = await add_checks(sqlite_db, media)
    config = Config(defaults()).with_values(
        database={"url": sqlite_target.url},
        bot={"media_dir": str(media)},
        web={"enabled": True, "base_url": "http://console.test"},
    )
    yield Console(create_app(config, sqlite_db), sqlite_db, config, media, runs)


@asynccontextmanager
async def chat_bot(tg, console: Console):
    """The real bot polling the fake Telegram server, on the console's database and
    with the console's address, so /web answers with a link to it."""
    from bot.app import build_engine
    from bot.channels.telegram import TelegramChannel
    from bot.runtime import running
    from storage.db import Database
    from tests.telegram_harness import bot_config

    config = bot_config(tg, str(console.database.url), console.media).with_values(
        web=console.config.values["web"]
    )
    engine = build_engine(config, Database(str(console.database.url)))
    channel = TelegramChannel(config, engine)
    try:
        async with running(engine, {"telegram": channel}, poll_timeout=1) as runtime:
            channel.runtime = runtime
            yield channel
    finally:
        await engine.db.dispose()


async def link_from_chat(tg, user_id: int, language: str = "vi") -> str:
    """Sends /web from that Telegram user and returns the link the bot answers with."""
    from tests.telegram_harness import Phone

    phone = Phone(tg, user_id, language=language)
    answer = await phone.send("/web", expect="/login/")
    return next(word for word in answer.text.split() if "/login/" in word)
