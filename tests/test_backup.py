"""`fieldbot db backup`, `db restore` and `db check` (issue 16, "Backups and restore"),
run as the real command while the real `fieldbot run` serves an inspector through the
fake Telegram server: the backup taken in the middle of her checklist, restored into
a new database, holds every answer she had given and her photo."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import Database
from storage.health import photo_key
from storage.models import Answer, ChecklistRun
from tests.bot_process import FIELDBOT, BotProcess, write_config
from tests.conftest import _drop_postgres_database, _new_postgres_database
from tests.telegram_harness import INSPECTOR, Phone, seed

START = 120.0  # a process start imports the whole stack: generous on a loaded machine
PHOTO = b"\xff\xd8 the shop's counter, no plastic bags"


@dataclass
class Finished:
    code: int
    out: str
    err: str


async def fieldbot(config: Path, *args: str, **environment: str) -> Finished:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}
    env.update(environment)
    process = await asyncio.create_subprocess_exec(
        str(FIELDBOT),
        "--config",
        str(config),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), START)
    return Finished(process.returncode, out.decode(), err.decode())


async def draft_answers(database: Database) -> dict[str, Answer]:
    async with database.session() as session:
        run = (await session.exec(select(ChecklistRun).where(ChecklistRun.status == "draft"))).one()
        answers = (await session.exec(select(Answer).where(Answer.run_id == run.id))).all()
        return {answer.question_id: answer for answer in answers}


async def half_a_checklist(phone: Phone) -> None:
    """Up to and including the photo; the check stays open (a draft)."""
    await phone.expect("Chọn phiếu kiểm tra", timeout=START)
    await phone.tap("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    await phone.send("co op", "Tìm thấy")
    await phone.tap("Siêu thị Co.opmart Quảng Ngãi", "Câu 1/11")
    await phone.tap("Có", "Câu 2/11")
    await phone.tap("Túi giấy", "Câu 2/11")
    await phone.tap("Xong", "Câu 3/11")
    await phone.send("75%", "Câu 4/11")
    await phone.tap("Một phần", "Câu 5/11")
    await phone.tap("Không", "Câu 6/11")
    await phone.tap("Có", "Câu 7/11")
    await phone.send("1.200", "Câu 8/11")
    await phone.tap("Có", "Câu 9/11")
    await phone.send_photo(PHOTO, "Câu 10/11")


def same_answer(left: Answer, right: Answer) -> bool:
    fields = ("value_text", "value_number", "value_date", "value_json", "skipped")
    return all(getattr(left, name) == getattr(right, name) for name in fields)


async def new_database(tmp_path: Path, backend: str) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}", None
    name, url = await _new_postgres_database()
    return url, name


async def test_a_backup_during_a_checklist_restores_every_answer_and_photo(
    tg, db, database_target, tmp_path
):
    await seed(db)
    telegram = {
        "token": tg.token,
        "api_base_url": tg.api_base_url,
        "file_base_url": tg.file_base_url,
    }
    config = write_config(
        tmp_path / "config.toml", database_target.url, tmp_path / "media", telegram=telegram
    )
    bot = BotProcess(config)
    archive = tmp_path / "backup.tar.gz"
    try:
        await bot.start()
        tg.user_sends_text(INSPECTOR, "/start")
        phone = Phone(tg, INSPECTOR, "Lê Thị Kiểm")
        await half_a_checklist(phone)
        taken = await fieldbot(config, "db", "backup", str(archive))
        assert taken.code == 0, taken.err
        assert "1 photo file(s)" in taken.out
        # The bot goes on while and after the copy is made.
        await phone.send_location(15.1205, 108.7923, "Câu 11/11")
        assert await bot.terminate() == 0, bot.output()[-2000:]
    finally:
        await bot.kill()
    before = await draft_answers(db)

    url, pg_name = await new_database(tmp_path, database_target.kind)
    restored_config = write_config(tmp_path / "restored.toml", url, tmp_path / "restored-media")
    try:
        restored = await fieldbot(restored_config, "db", "restore", str(archive))
        assert restored.code == 0, restored.err
        assert "1 photo file(s)" in restored.out
        database = Database(url)
        try:
            after = await draft_answers(database)
        finally:
            await database.dispose()
        # Every answer given before the backup, none given after it.
        assert set(after) == set(before) - {"location"} and "photo" in after
        assert all(same_answer(after[q], before[q]) for q in after)
        photo = tmp_path / "restored-media" / photo_key(after["photo"].value_text)
        assert photo.read_bytes() == PHOTO
        checked = await fieldbot(restored_config, "db", "check")
        assert checked.code == 0, checked.out + checked.err
        assert "0 missing" in checked.out and "open drafts: 1" in checked.out
        # A second restore would overwrite what is there now: refused.
        again = await fieldbot(restored_config, "db", "restore", str(archive))
        assert again.code == 1 and "not empty" in again.err
    finally:
        if pg_name:
            await _drop_postgres_database(pg_name)


async def test_db_check_names_missing_photos_and_stuck_messages(sqlite_db, sqlite_target, tmp_path):
    from storage.models import OutboxMessage, Person, utcnow

    await seed(sqlite_db)
    media = tmp_path / "media"
    (media / "7").mkdir(parents=True)
    (media / "7" / "stray.jpg").write_bytes(b"x")
    async with sqlite_db.session() as session:
        person = (await session.exec(select(Person))).first()
        run = ChecklistRun(checklist_id="supermarket", checklist_version=1, person_id=person.id)
        session.add(run)
        await session.flush()
        session.add(
            Answer(run_id=run.id, question_id="photo", value_text=f"{media}/{run.id}/p.jpg")
        )
        session.add(
            OutboxMessage(
                channel="telegram", chat_id="1", replies=[], created_at=utcnow().replace(year=2020)
            )
        )
        await session.commit()
    config = write_config(tmp_path / "config.toml", sqlite_target.url, media)
    checked = await fieldbot(config, "db", "check")
    assert checked.code == 1
    assert "1 missing, 1 not named by any answer" in checked.out
    assert f"missing: {run.id}/p.jpg" in checked.out and "orphan: 7/stray.jpg" in checked.out
    assert "outbox: 1 waiting over 15 min" in checked.out


async def test_backup_refusals_are_one_line(sqlite_db, sqlite_target, tmp_path):
    config = write_config(tmp_path / "config.toml", sqlite_target.url, tmp_path / "media")
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello", encoding="utf-8")
    wrong = await fieldbot(config, "db", "restore", str(not_a_backup))
    assert (wrong.code, wrong.err.strip()) == (
        1,
        f"fieldbot: error: {not_a_backup}: not a fieldbot backup",
    )
    archive = tmp_path / "b.tar.gz"
    assert (await fieldbot(config, "db", "backup", str(archive))).code == 0
    twice = await fieldbot(config, "db", "backup", str(archive))
    assert twice.code == 1 and "exists already" in twice.err
    # The live database is not empty: a restore into it is refused.
    into_live = await fieldbot(config, "db", "restore", str(archive))
    assert into_live.code == 1 and "is not empty" in into_live.err


async def test_without_pg_dump_the_backup_says_what_to_do(database_target, tmp_path):
    if database_target.kind != "postgresql":
        pytest.skip("SQLite is copied by fieldbot itself, without pg_dump")
    config = write_config(tmp_path / "config.toml", database_target.url, tmp_path / "media")
    # A PATH where no pg_dump can be found.
    finished = await fieldbot(
        config, "db", "backup", str(tmp_path / "b.tar.gz"), PATH=str(Path(sys.executable).parent)
    )
    assert finished.code == 1
    assert "pg_dump was not found" in finished.err and "Vận hành" in finished.err
    assert len(finished.err.strip().splitlines()) == 1
