"""Telegram through the webhook server: secrets checked, bodies validated, and
several workers on one PostgreSQL serving the same inspectors."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import func, select

from storage import people
from storage.models import Answer, ChecklistRun, InboxUpdate, Site
from tests.telegram_harness import INSPECTOR, seed
from tests.webhook_harness import SECRET, webhook_worker

HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


async def count(database, model) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def test_the_webhook_checks_its_secret_and_the_body(tg, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    async with webhook_worker(tg, sqlite_target.url, tmp_path) as (base, _server):
        async with httpx.AsyncClient(base_url=base) as http:
            update = tg.user_sends_text(INSPECTOR, "/start")
            assert (await http.post("/telegram", json=update)).status_code == 403
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
            assert (await http.post("/telegram", json=update, headers=wrong)).status_code == 403
            assert (await http.post("/zalo", json={}, headers=HEADER)).status_code in (403, 404)
            bad = await http.post("/telegram", content=b"{not json", headers=HEADER)
            assert bad.status_code == 400
            assert (await http.post("/telegram", json=[1], headers=HEADER)).status_code == 400
            await asyncio.sleep(0.3)
            assert await count(sqlite_db, InboxUpdate) == 0  # nothing was stored

            ok = await http.post("/telegram", json=update, headers=HEADER)
            assert ok.status_code == 200
            menu = await tg.wait_for_message(INSPECTOR, lambda r: "Chọn phiếu" in (r.text or ""))
            assert menu.buttons
            health = await http.get("/healthz")
            assert health.status_code == 200 and health.json() == {"ok": True}


async def _inspector_over_two_workers(tg, clients, user_id: int, first: bool) -> None:
    """One inspector; her consecutive updates alternate between the two workers, and
    each waits for the bot's answer to the previous one, as a person does."""
    turn = 0

    async def post(update: dict, expect: str) -> None:
        nonlocal turn
        response = await clients[turn % 2].post("/telegram", json=update, headers=HEADER)
        turn += 1
        assert response.status_code == 200
        await tg.wait_for_message(user_id, lambda r: expect in (r.text or ""), timeout=60)

    def button(label: str) -> tuple[int, dict]:
        for record in reversed(tg.messages_to(user_id)):
            for b in record.buttons:
                if b["text"].startswith(label) or b["text"].endswith(label):
                    return record.message_id, b
        raise AssertionError(f"no button {label!r}")

    async def tap(label: str, expect: str) -> None:
        message_id, b = button(label)
        if "callback_data" not in b:  # a reply keyboard's button (location) sends its text
            await post(tg.user_sends_text(user_id, b["text"]), expect)
            return
        update = tg.user_presses_button(user_id, b["callback_data"], message_id=message_id)
        await post(update, expect)

    await post(tg.user_sends_text(user_id, "/start"), "Chọn phiếu")
    await tap("Kiểm tra siêu thị", "Gõ một phần tên")
    search = tg.user_sends_text(user_id, "vincom quang ngai")  # one match: straight to it
    if first:
        await post(search, "Câu 1/")
    else:  # the site was checked this month by the first inspector
        await post(search, "đã được")
        await tap("Kiểm tra mới", "Câu 1/")
    for label, expect in [("Không", "Câu 2/"), ("Túi giấy", "Câu 2/"), ("Xong", "Câu 3/")]:
        await tap(label, expect)
    await post(tg.user_sends_text(user_id, "80"), "Câu 4/")
    for label, expect in [
        ("Đã thay hoàn toàn", "Câu 5/"),
        ("Không", "Câu 6/"),
        ("Không", "Câu 7/"),
        ("Có", "Câu 8/"),
        ("Bỏ qua", "Câu 9/"),
        ("Bỏ qua", "Câu 10/"),
        ("Bỏ qua", "Xem lại"),
        ("✅ Gửi", "Đã gửi phiếu"),
    ]:
        await tap(label, expect)


@pytest.mark.load
async def test_two_workers_on_one_postgresql_serve_fifty_inspectors(
    tg, db, database_target, tmp_path
):
    if database_target.kind != "postgresql":
        pytest.skip("several workers share one database only on PostgreSQL")
    await seed(db)
    inspectors = list(range(7000, 7050))
    async with db.session() as session:
        for user_id in inspectors:
            await people.add_person(
                session,
                name=f"Inspector {user_id}",
                role="inspector",
                department_code="QLTM",
                accounts={"telegram": str(user_id)},
            )
        await session.commit()
    async with (
        webhook_worker(tg, database_target.url, tmp_path / "a") as (first, _a),
        webhook_worker(tg, database_target.url, tmp_path / "b") as (second, _b),
        httpx.AsyncClient(base_url=first, timeout=60) as one,
        httpx.AsyncClient(base_url=second, timeout=60) as two,
    ):
        await _inspector_over_two_workers(tg, (one, two), inspectors[0], first=True)
        await asyncio.gather(
            *(
                _inspector_over_two_workers(tg, (one, two), uid, first=False)
                for uid in inspectors[1:]
            )
        )

    async with db.session() as session:
        submitted = (
            await session.exec(select(ChecklistRun).where(ChecklistRun.status == "submitted"))
        ).all()
        assert len(submitted) == 50
        assert len({run.person_id for run in submitted}) == 50
        sites = {(await session.get(Site, run.site_id)).name for run in submitted}
        assert sites == {"Vincom Plaza Quảng Ngãi"}  # the one match, no list to choose from
        for run in submitted:
            answers = (await session.exec(select(Answer).where(Answer.run_id == run.id))).all()
            values = {a.question_id: a for a in answers}
            assert len(answers) == 10, run.id  # eco_label "Không": no count question
            assert values["eco_bag_share"].value_number == 80
            assert values["bag_types"].value_json == ["paper"]
            assert values["packaging_replaced"].value_text == "full"


async def test_one_update_delivered_to_both_workers_at_once_is_applied_once(
    tg, db, database_target, tmp_path
):
    if database_target.kind != "postgresql":
        pytest.skip("several workers share one database only on PostgreSQL")
    await seed(db)
    async with (
        webhook_worker(tg, database_target.url, tmp_path / "a") as (first, _a),
        webhook_worker(tg, database_target.url, tmp_path / "b") as (second, _b),
        httpx.AsyncClient(base_url=first) as one,
        httpx.AsyncClient(base_url=second) as two,
    ):
        for text in ("/start", "/start", "/start"):
            update = tg.user_sends_text(INSPECTOR, text)
            answers = await asyncio.gather(
                *(client.post("/telegram", json=update, headers=HEADER) for client in (one, two))
            )
            assert [a.status_code for a in answers] == [200, 200]
        # Three updates, each answered once, never twice (waits, not a fixed sleep).
        menus = await tg.wait_for_messages(INSPECTOR, 3, timeout=60)
        assert all("Chọn phiếu" in (r.text or "") for r in menus)
        await tg.expect_no_message(INSPECTOR, within=1.0)
    # Three rows in the inbox, each applied once (the inbox claim, not a receipt).
    async with db.session() as session:
        statuses = (await session.exec(select(InboxUpdate.status))).all()
    assert statuses == ["done"] * 3


async def test_fieldbot_webhook_set_info_delete_registers_the_address(tg, tmp_path, capsys):
    from bot.cli import main

    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{tg.token}"\napi_base_url = "{tg.api_base_url}"\n'
        f'[webhook]\nurl = "https://bot.example.gov.vn/"\nsecret = "{SECRET}"\n',
        encoding="utf-8",
    )
    assert await asyncio.to_thread(main, ["--config", str(config), "webhook", "set"]) == 0
    assert tg.webhook == {"url": "https://bot.example.gov.vn/telegram", "secret": SECRET}
    assert await asyncio.to_thread(main, ["--config", str(config), "webhook", "info"]) == 0
    assert await asyncio.to_thread(main, ["--config", str(config), "webhook", "delete"]) == 0
    assert tg.webhook["url"] == ""
    printed = capsys.readouterr()
    assert "telegram: https://bot.example.gov.vn/telegram" in printed.out
    assert "telegram: (none)" in printed.out
    assert tg.token not in printed.out + printed.err

    config.write_text(config.read_text().replace(SECRET, "short"), encoding="utf-8")
    assert await asyncio.to_thread(main, ["--config", str(config), "webhook", "set"]) == 2
    assert "secret" in capsys.readouterr().err
