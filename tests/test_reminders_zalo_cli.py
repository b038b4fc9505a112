"""`fieldbot reminders run-once` reaches a head who is only on Zalo (issue 10, rule 6)."""

from __future__ import annotations

from storage import people
from tests.fake_zalo import ZaloPhone

HEAD_ON_ZALO = "9a1b2c3d4e5f60718293"


async def test_run_once_sends_a_reminder_to_a_head_only_on_zalo(
    zalo, sqlite_db, sqlite_target, tmp_path, capsys
):
    from bot.cli import main

    async with sqlite_db.session() as session:
        await people.add_person(
            session,
            name="Võ Trưởng Phòng",
            role="head",
            department_code="QLTM",
            accounts={"zalo": HEAD_ON_ZALO},
        )
        await session.commit()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{sqlite_target.url}"\n'
        f'[zalo]\ntoken = "{zalo.token}"\napi_base_url = "{zalo.api_base_url}"\n',
        encoding="utf-8",
    )
    code = await _run(
        main,
        ["--config", str(config), "reminders", "run-once", "--now", "2026-12-09T09:00:00+07:00"],
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sent 1, failed 0, unreachable 0" in out
    await ZaloPhone(zalo, HEAD_ON_ZALO).expect("10/12/2026", timeout=30)


async def _run(main, argv):
    import asyncio

    return await asyncio.to_thread(main, argv)
