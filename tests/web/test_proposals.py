"""Sites proposed in the chat ("Không tìm thấy? Báo cơ sở mới"), settled on the Cơ sở
page: an inspector proposes one through the fake Telegram server, an admin adds it with
the add form's checks (or declines another), and the proposer reads the outcome in the
chat. Only admins see the proposals; the forms need the session's CSRF token."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage import runs
from storage.models import ProposedSite, Site
from tests.telegram_harness import INSPECTOR, Phone
from tests.web.conftest import chat_bot
from tests.web.test_permissions import csrf
from tests.web.test_review import outbox_to


async def propose(console, text: str) -> int:
    inspector = await console.person("inspector")
    async with console.database.session() as session:
        proposal = await runs.propose_site(session, inspector.id, "supermarket", text)
        await session.commit()
        return proposal.id


async def test_an_inspector_proposes_a_site_in_the_chat_and_reads_that_it_was_added(console, tg):
    async with chat_bot(tg, console):
        phone = Phone(tg, INSPECTOR)
        await phone.send("/start", "Chọn")
        await phone.tap("Kiểm tra siêu thị", "một phần tên cơ sở")
        await phone.send("xyzzy", "Không tìm thấy cơ sở nào")
        await phone.tap("Không tìm thấy? Báo cơ sở mới", "gõ tên và địa chỉ")
        await phone.send("Siêu thị Hòa Bình, xã Tịnh Phong", "Đã ghi nhận đề nghị")
        async with console.signed_in("admin") as client:
            listing = (await client.get("/sites")).text
            assert "Cơ sở được đề nghị thêm (1)" in listing
            assert "Siêu thị Hòa Bình, xã Tịnh Phong" in listing and "Lê Thị Kiểm" in listing
            (proposal,) = await _proposals(console)
            page = (await client.get(f"/sites/proposals/{proposal.id}")).text
            assert 'value="Siêu thị Hòa Bình, xã Tịnh Phong"' in page  # the name, to correct
            assert 'value="supermarket" selected' in page  # the checklist's site kind
            fields = {
                "csrf": await csrf(client),
                "code": "SM-HB-01",
                "name": "Siêu thị Hòa Bình",
                "kind": "supermarket",
                "commune": "Xã Tịnh Phong",
                "province": "Quảng Ngãi",
                "status": "operating",
            }
            bad = await client.post(
                f"/sites/proposals/{proposal.id}/add", data={**fields, "lat": "95", "lon": "1"}
            )
            assert bad.status_code == 422 and "bad coordinate" in bad.text
            taken = {**fields, "code": (await _any_site(console)).code}
            bad = await client.post(f"/sites/proposals/{proposal.id}/add", data=taken)
            assert bad.status_code == 422
            added = await client.post(f"/sites/proposals/{proposal.id}/add", data=fields)
            assert added.status_code == 303 and added.headers["location"] == "/sites?done=SM-HB-01"
            again = await client.post(f"/sites/proposals/{proposal.id}/add", data=fields)
            assert again.status_code == 404  # settled: nothing twice
            assert "Cơ sở được đề nghị thêm" not in (await client.get("/sites")).text
        told = await phone.expect("đã được thêm vào danh sách (mã SM-HB-01)")
        assert "Siêu thị Hòa Bình" in told.text
    async with console.database.session() as session:
        site = (await session.exec(select(Site).where(Site.code == "SM-HB-01"))).one()
    assert (site.name, site.commune) == ("Siêu thị Hòa Bình", "Xã Tịnh Phong")
    assert [p.status for p in await _proposals(console, None)] == ["added"]


async def test_an_admin_declines_a_proposal_with_a_reason(console):
    proposal_id = await propose(console, "Tạp hóa Cô Ba")
    async with console.signed_in("admin") as client:
        answer = await client.post(
            f"/sites/proposals/{proposal_id}/decline",
            data={"csrf": await csrf(client), "reason": "Không phải siêu thị"},
        )
        assert answer.status_code == 303
        assert "Đã từ chối đề nghị" in (await client.get(answer.headers["location"])).text
    (told,) = await outbox_to(console, INSPECTOR)
    assert "“Tạp hóa Cô Ba”" in told["text"] and "Lý do: Không phải siêu thị" in told["text"]
    assert [p.status for p in await _proposals(console, None)] == ["declined"]


@pytest.mark.parametrize("who", ["head", "inspector"])
async def test_only_admins_see_and_settle_proposals(console, who):
    proposal_id = await propose(console, "Siêu thị Mới Mở")
    async with console.signed_in(who) as client:
        token = await csrf(client)
        assert (await client.get(f"/sites/proposals/{proposal_id}")).status_code == 403
        for action in ("add", "decline"):
            answer = await client.post(
                f"/sites/proposals/{proposal_id}/{action}", data={"csrf": token, "code": "X-1"}
            )
            assert answer.status_code == 403
    assert [p.status for p in await _proposals(console, None)] == ["proposed"]


async def test_settling_a_proposal_needs_the_sessions_csrf_token(console):
    proposal_id = await propose(console, "Siêu thị Mới Mở")
    async with console.signed_in("admin") as client:
        for action in ("add", "decline"):
            answer = await client.post(
                f"/sites/proposals/{proposal_id}/{action}",
                data={"code": "X-1", "name": "X", "kind": "supermarket"},
            )
            assert answer.status_code == 403 and "Biểu mẫu không hợp lệ" in answer.text
    assert [p.status for p in await _proposals(console, None)] == ["proposed"]
    assert await outbox_to(console, INSPECTOR) == []


async def _proposals(console, status: str | None = "proposed") -> list[ProposedSite]:
    async with console.database.session() as session:
        statement = select(ProposedSite).order_by(ProposedSite.id)
        if status is not None:
            statement = statement.where(ProposedSite.status == status)
        return list((await session.exec(statement)).all())


async def _any_site(console) -> Site:
    async with console.database.session() as session:
        return (await session.exec(select(Site))).first()
