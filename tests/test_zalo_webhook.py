"""Zalo through the webhook server: both body shapes, the secret, duplicates, and
two workers on one PostgreSQL serving fifty inspectors."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import func, select

from storage import people
from storage.models import Answer, ChecklistRun, InboxUpdate
from tests.fake_zalo import ZaloPhone, new_id, update_body
from tests.test_zalo import INSPECTOR, seed
from tests.webhook_harness import SECRET, zalo_webhook_worker

HEADER = {"X-Bot-Api-Secret-Token": SECRET}


async def count(database, model) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


class WebhookPhone(ZaloPhone):
    """A Zalo user whose messages reach the bot by webhook, alternating between the
    given workers and between the wrapped and the unwrapped body."""

    def __init__(self, zalo, user_id, clients) -> None:
        super().__init__(zalo, user_id)
        self.clients = clients
        self.sent_count = 0

    async def send(self, text: str, expect: str):
        update = self.zalo.make_text(self.user_id, text)
        client = self.clients[self.sent_count % len(self.clients)]
        body = update_body(update, wrapped=self.sent_count % 2 == 0)
        self.sent_count += 1
        response = await client.post("/zalo", json=body, headers=HEADER)
        assert response.status_code == 200, response.text
        return await self.expect(expect, timeout=60)


async def complete_supermarket_check(phone: WebhookPhone, first: bool = True) -> None:
    await phone.send("/start", "Chọn phiếu kiểm tra")
    await phone.choose("Kiểm tra siêu thị", "Gõ một phần tên cơ sở")
    # One match: straight to the site (or to "checked already" after the first check).
    if first:
        await phone.send("vincom quang ngai", "Câu 1/11")
    else:
        await phone.send("vincom quang ngai", "Vincom Plaza Quảng Ngãi đã được")
        await phone.choose("Kiểm tra mới", "Câu 1/11")
    await phone.send("khong", "Câu 2/11")
    await phone.send("2, 3", "Câu 3/11")
    await phone.send("80", "Câu 4/11")
    await phone.send("da thay hoan toan", "Câu 5/11")
    await phone.choose("Không", "Câu 6/11")
    await phone.choose("Không", "Câu 7/10")  # no Green Label: no count to ask
    await phone.send("co", "Câu 8/10")
    await phone.send("bo qua", "Câu 9/10")
    await phone.send("bo qua", "Câu 10/10")
    await phone.send("bo qua", "Xem lại")
    await phone.choose("Gửi", "Đã gửi phiếu")


def assert_the_check(answers: dict[str, Answer]) -> None:
    assert len(answers) == 10  # eco_label "Không": no count question
    assert answers["nonbio_bags"].value_text == "no"
    assert answers["bag_types"].value_json == ["paper", "cloth"]
    assert answers["eco_bag_share"].value_number == 80
    assert answers["packaging_replaced"].value_text == "full"
    assert answers["photo"].skipped


async def answers_by_run(database) -> dict[int, dict[str, Answer]]:
    async with database.session() as session:
        runs = (
            await session.exec(select(ChecklistRun).where(ChecklistRun.status == "submitted"))
        ).all()
        result = {}
        for run in runs:
            rows = (await session.exec(select(Answer).where(Answer.run_id == run.id))).all()
            result[run.person_id] = {a.question_id: a for a in rows}
        return result


async def test_a_supermarket_check_over_the_zalo_webhook(zalo, sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    async with zalo_webhook_worker(zalo, sqlite_target.url, tmp_path) as (base, _server):
        async with httpx.AsyncClient(base_url=base) as http:
            await complete_supermarket_check(WebhookPhone(zalo, INSPECTOR, [http]))
    [answers] = (await answers_by_run(sqlite_db)).values()
    assert_the_check(answers)


async def test_the_zalo_webhook_refuses_wrong_secrets_and_bad_bodies_and_repeats(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with zalo_webhook_worker(zalo, sqlite_target.url, tmp_path) as (base, server):
        async with httpx.AsyncClient(base_url=base) as http:
            update = zalo.make_text(INSPECTOR, "/start")
            assert (await http.post("/zalo", json=update)).status_code == 403
            wrong = {"X-Bot-Api-Secret-Token": SECRET[:-1] + "x"}
            assert (await http.post("/zalo", json=update, headers=wrong)).status_code == 403
            assert (await http.post("/zalo", content=b"<xml/>", headers=HEADER)).status_code == 400
            no_message = {"event_name": "message.text.received"}
            assert (await http.post("/zalo", json=no_message, headers=HEADER)).status_code == 400
            assert (await http.post("/telegram", json={}, headers=HEADER)).status_code in (403, 404)
            await asyncio.sleep(0.3)
            assert await count(sqlite_db, InboxUpdate) == 0 and zalo.sent == []

            for _ in range(2):  # the platform delivers the same message twice
                response = await http.post("/zalo", json=update, headers=HEADER)
                assert response.status_code == 200
            await server.runtime.worker.run_until_idle()
            await ZaloPhone(zalo, INSPECTOR).expect("Chọn phiếu")
            await zalo.expect_no_message(INSPECTOR, within=0.5)
    assert await count(sqlite_db, InboxUpdate) == 1  # stored once, applied once


@pytest.mark.load
async def test_two_zalo_workers_on_one_postgresql_serve_fifty_inspectors(
    zalo, db, database_target, tmp_path
):
    if database_target.kind != "postgresql":
        pytest.skip("several workers share one database only on PostgreSQL")
    await seed(db)
    inspectors = [new_id() for _ in range(50)]
    async with db.session() as session:
        for number, user_id in enumerate(inspectors):
            await people.add_person(
                session,
                name=f"Cán bộ {number}",
                role="inspector",
                department_code="QLTM",
                accounts={"zalo": user_id},
            )
        await session.commit()
    async with (
        zalo_webhook_worker(zalo, database_target.url, tmp_path / "a") as (first, _a),
        zalo_webhook_worker(zalo, database_target.url, tmp_path / "b") as (second, _b),
        httpx.AsyncClient(base_url=first, timeout=60) as one,
        httpx.AsyncClient(base_url=second, timeout=60) as two,
    ):
        await complete_supermarket_check(WebhookPhone(zalo, inspectors[0], [one, two]))
        await asyncio.gather(
            *(
                complete_supermarket_check(WebhookPhone(zalo, uid, [one, two]), first=False)
                for uid in inspectors[1:]
            )
        )
    by_person = await answers_by_run(db)
    assert len(by_person) == 50
    for answers in by_person.values():
        assert_the_check(answers)
