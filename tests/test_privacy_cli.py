"""The operator's side of personal data, through the real `fieldbot` command: the purge
counts first and removes only with --yes (rows and photo files), and the access log shows
who did it."""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from storage import people
from storage.db import Database
from storage.models import Answer, ChecklistRun, Site, utcnow
from tests.bot_process import FIELDBOT, write_config


def fieldbot(config, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}
    return subprocess.run(
        [str(FIELDBOT), "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def _seed_old_and_new_checks(url: str, media) -> dict[str, int]:
    """An inspector with a check from 6 years ago and one from last month (each with a
    photo, a location and an answer), a draft left 40 days ago and one from today."""
    database = Database(url)
    now = utcnow()
    async with database.session() as session:
        person = await people.add_person(
            session,
            name="Lê Thị Kiểm",
            role="inspector",
            department_code="QLTM",
            accounts={"telegram": "1001"},
        )
        ids = {}
        for label, when, status in (
            ("old", now - timedelta(days=6 * 366), "submitted"),
            ("recent", now - timedelta(days=30), "submitted"),
            ("stale_draft", now - timedelta(days=40), "draft"),
            ("fresh_draft", now, "draft"),
        ):
            run = ChecklistRun(
                person_id=person.id,
                checklist_id="supermarket",
                checklist_version=1,
                status=status,
                started_at=when,
                updated_at=when,
                submitted_at=when if status == "submitted" else None,
            )
            session.add(run)
            await session.flush()
            ids[label] = run.id
            photo = media / str(run.id) / "photo-1a2b3c4d.jpg"
            photo.parent.mkdir(parents=True)
            photo.write_bytes(b"\xff\xd8 a checkout counter")
            for question_id, values in (
                ("photo", {"value_text": str(photo)}),
                ("location", {"value_json": {"lat": 15.12, "lon": 108.8}}),
                ("nonbio_bags", {"value_text": "yes"}),
            ):
                session.add(
                    Answer(run_id=run.id, question_id=question_id, answered_at=when, **values)
                )
        await session.commit()
    await database.dispose()
    return ids


async def _answers(url: str) -> list[tuple[int, str]]:
    database = Database(url)
    async with database.session() as session:
        rows = (await session.exec(select(Answer.run_id, Answer.question_id))).all()
    await database.dispose()
    return sorted(rows)


def test_the_purge_counts_first_then_removes_old_photos_and_locations(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fieldbot.db'}"
    media = tmp_path / "media"
    config = write_config(tmp_path / "config.toml", url, media)
    assert fieldbot(config, "db", "upgrade").returncode == 0
    ids = asyncio.run(_seed_old_and_new_checks(url, media))
    before = asyncio.run(_answers(url))

    dry = fieldbot(config, "data", "purge")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0] == "Would remove (dry run; add --yes to remove):"
    counts = {line.split(maxsplit=1)[1]: int(line.split()[0]) for line in lines[1:]}
    assert counts == {
        "photos older than 5 years": 1,
        "their files in the media folder (and folders of removed runs)": 2,
        "locations older than 5 years": 1,
        "drafts untouched for 30 days": 1,
        "handled messages older than 90 days (inbox and outbox)": 0,
    }
    assert asyncio.run(_answers(url)) == before
    assert len(list(media.rglob("*.jpg"))) == 4

    done = fieldbot(config, "data", "purge", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Removed:"
    assert "     2    their files" in done.stdout
    assert not (media / str(ids["old"])).exists()
    assert not (media / str(ids["stale_draft"])).exists()
    assert (media / str(ids["recent"]) / "photo-1a2b3c4d.jpg").exists()
    assert (media / str(ids["fresh_draft"]) / "photo-1a2b3c4d.jpg").exists()
    left = asyncio.run(_answers(url))
    assert (ids["old"], "nonbio_bags") in left  # the check itself stays
    assert (ids["old"], "photo") not in left and (ids["old"], "location") not in left
    assert not [row for row in left if row[0] == ids["stale_draft"]]
    assert [q for run, q in left if run == ids["recent"]] == ["location", "nonbio_bags", "photo"]

    again = fieldbot(config, "data", "purge")
    assert [int(line.split()[0]) for line in again.stdout.splitlines()[1:]] == [0, 0, 0, 0, 0]

    log = fieldbot(config, "data", "access-log")
    assert log.returncode == 0, log.stderr
    entry = log.stdout.splitlines()[2]
    assert "cli" in entry and "purge" in entry and "photos=1" in entry and "drafts=1" in entry


async def _seed_a_check_at_a_site(url: str) -> None:
    database = Database(url)
    async with database.session() as session:
        person = await people.add_person(
            session,
            name="Lê Thị Kiểm",
            role="inspector",
            department_code="QLTM",
            accounts={"telegram": "700123456"},
        )
        site = Site(
            code="ST-TEST",
            name="Siêu thị Thử",
            search_name="sieu thi thu",
            kind="supermarket",
            latitude=15.1234,
            longitude=108.8765,
        )
        session.add(site)
        await session.flush()
        run = ChecklistRun(
            person_id=person.id,
            site_id=site.id,
            checklist_id="supermarket",
            checklist_version=1,
            status="submitted",
            submitted_at=utcnow(),
        )
        session.add(run)
        await session.flush()
        session.add(Answer(run_id=run.id, question_id="nonbio_bags", value_text="yes"))
        session.add(
            Answer(run_id=run.id, question_id="location", value_json={"lat": 15.5, "lon": 108.5})
        )
        # A question removed from the checklist since, whose answer was a place.
        session.add(
            Answer(run_id=run.id, question_id="old_place", value_json={"lat": 15.6, "lon": 108.6})
        )
        await session.commit()
    await database.dispose()


def _cells(path) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    return "\n".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def test_an_export_without_personal_data_has_no_names_ids_or_coordinates(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fieldbot.db'}"
    config = write_config(tmp_path / "config.toml", url, tmp_path / "media")
    assert fieldbot(config, "db", "upgrade").returncode == 0
    asyncio.run(_seed_a_check_at_a_site(url))
    year = str(utcnow().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).year)

    full = fieldbot(config, "export", "--year", year, "--out", str(tmp_path / "full.xlsx"))
    assert full.returncode == 0, full.stderr
    cells = _cells(tmp_path / "full.xlsx")
    # The location answer: latitude and longitude, two number cells side by side.
    for present in ("Lê Thị Kiểm", "15.5\n108.5", "15.1234", "108.8765", "Siêu thị Thử"):
        assert present in cells  # the comparison below can fail

    shared = tmp_path / "shared.xlsx"
    cut = fieldbot(config, "export", "--year", year, "--no-personal", "--out", str(shared))
    assert cut.returncode == 0, cut.stderr
    cells = _cells(shared)
    for absent in ("Lê Thị Kiểm", "700123456", "15.5", "108.5", "15.6", "15.1234", "108.8765"):
        assert absent not in cells, absent
    assert "Siêu thị Thử" in cells and "ST-TEST" in cells  # the check itself is there

    log = fieldbot(config, "data", "access-log").stdout.splitlines()[2:]
    assert [line.split()[-3:] for line in log] == [
        ["year=" + year, "file=shared.xlsx", "personal=no"],
        ["export", "year=" + year, "file=full.xlsx"],
    ]
