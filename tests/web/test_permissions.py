"""Who may open what: every page for every role, the one-time link (expired, reused,
forged), the session cookie (tampered, signed out, revoked) and CSRF on every form."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from bot.web.auth import COOKIE
from storage.models import Person, Site, WebLoginLink, WebSession

PAGES = ["/overview", "/checks", "/map", "/sites", "/people", "/deadlines"]
# role -> pages it may open (the rest answer 403).
ALLOWED = {
    "admin": set(PAGES) | {"/deadlines/report.docx"},
    "head": {"/overview", "/checks", "/map", "/deadlines"},
    "inspector": {"/checks"},
}


@pytest.mark.parametrize("role", ["admin", "head", "inspector"])
@pytest.mark.parametrize("page", [*PAGES, "/deadlines/report.docx", "/sites/QNG-X/edit"])
async def test_every_page_checks_the_role(console, role, page):
    async with console.signed_in(role) as client:
        answer = await client.get(page)
    if page in ALLOWED[role] or (page.endswith("/edit") and role == "admin"):
        assert answer.status_code in (200, 404), answer.text[:300]
    else:
        assert answer.status_code == 403
        assert "Không có quyền truy cập" in answer.text


@pytest.mark.parametrize("page", [*PAGES, "/checks.xlsx", "/checks/1", "/"])
async def test_without_signing_in_every_page_says_how_to_sign_in(console, page):
    async with console.client() as client:
        answer = await client.get(page)
    assert answer.status_code == 401
    assert "/web" in answer.text


async def test_the_start_page_is_the_overview_for_leaders_and_the_checks_for_inspectors(console):
    for role, target in (("admin", "/overview"), ("head", "/overview"), ("inspector", "/checks")):
        async with console.signed_in(role) as client:
            answer = await client.get("/")
        assert answer.status_code == 303 and answer.headers["location"] == target


async def test_an_inspector_sees_only_her_checks_and_a_head_only_the_departments(console):
    mine, admins = console.runs["with_photo"], console.runs["by_admin"]
    async with console.signed_in("inspector") as client:
        table = (await client.get("/checks")).text
        assert "2 phiếu" in table and "Trần Quản Trị" not in table
        assert (await client.get(f"/checks/{mine}")).status_code == 200
        assert (await client.get(f"/checks/{admins}")).status_code == 404
        assert (await client.get(f"/checks/{admins}/photo/photo")).status_code == 404
    async with console.signed_in("cluster_inspector") as client:
        assert "0 phiếu" in (await client.get("/checks")).text
        assert (await client.get(f"/checks/{mine}")).status_code == 404
        assert (await client.get(f"/checks/{mine}/photo/photo")).status_code == 404
    async with console.signed_in("head") as client:  # QLTM: the inspector's checks
        table = (await client.get("/checks")).text
        assert "2 phiếu" in table and "Trần Quản Trị" not in table
        assert (await client.get(f"/checks/{admins}")).status_code == 404
    async with console.signed_in("admin") as client:
        assert "3 phiếu" in (await client.get("/checks")).text


async def test_a_link_works_once(console):
    link = await console.link("admin")
    async with console.client() as client:
        assert "Đăng nhập" in (await client.get(link)).text  # the page with the button
        assert (await client.post(link)).status_code == 303
    async with console.client() as other:
        answer = await other.post(link)
        assert answer.status_code == 410 and "đã được dùng" in answer.text
        assert (await other.get(link)).status_code == 410
        assert COOKIE not in other.cookies


async def test_a_link_older_than_ten_minutes_is_refused(console):
    link = await console.link("head")
    async with console.database.session() as session:
        for row in (await session.exec(select(WebLoginLink))).all():
            row.expires_at = row.created_at - timedelta(seconds=1)
            session.add(row)
        await session.commit()
    async with console.client() as client:
        answer = await client.post(link)
    assert answer.status_code == 410 and "hết hạn" in answer.text


async def test_a_made_up_link_and_a_deactivated_persons_link_are_refused(console):
    async with console.client() as client:
        assert (await client.post("/login/not-a-real-token")).status_code == 410
    link = await console.link("inspector")
    async with console.database.session() as session:
        person = (await session.exec(select(Person).where(Person.role == "inspector"))).first()
        person.active = False
        session.add(person)
        await session.commit()
    async with console.client() as client:
        assert (await client.post(link)).status_code == 410


async def test_the_cookie_is_httponly_lax_for_eight_hours_and_holds_only_a_signed_id(console):
    link = await console.link("admin")
    async with console.client() as client:
        answer = await client.post(link)
    header = answer.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header and "Max-Age=28800" in header
    assert "Secure" not in header  # base_url is http here
    value = header.split(";")[0].split("=", 1)[1]
    session_id, _, signature = value.rpartition(".")
    assert len(signature) == 64 and "Trần" not in value
    async with console.database.session() as session:
        rows = (await session.exec(select(WebSession))).all()
    assert session_id not in {row.id_hash for row in rows}  # only its hash is stored


async def test_a_tampered_cookie_is_not_a_session(console):
    client = await console.open_signed_in("admin")
    value = client.cookies[COOKIE]
    forged = value[:-1] + ("0" if value[-1] != "0" else "1")
    async with console.client() as other:
        other.cookies.set(COOKIE, forged)
        assert (await other.get("/overview")).status_code == 401
    await client.aclose()


async def test_signing_out_ends_the_session_and_an_admin_can_end_anyones(console):
    inspector = await console.open_signed_in("inspector")
    admin = await console.open_signed_in("admin")
    page = (await admin.get("/people")).text
    assert "Lê Thị Kiểm" in page and "Kết thúc phiên" in page
    async with console.database.session() as session:
        rows = (await session.exec(select(WebSession))).all()
    inspectors = [row for row in rows if row.person_id != (await console.person("admin")).id]
    answer = await admin.post(
        f"/people/sessions/{inspectors[0].id_hash}/revoke", data={"csrf": await csrf(admin)}
    )
    assert answer.status_code == 303
    assert (await inspector.get("/checks")).status_code == 401
    answer = await admin.post("/logout", data={"csrf": await csrf(admin)})
    assert answer.status_code == 303
    assert (await admin.get("/overview")).status_code == 401
    await inspector.aclose()
    await admin.aclose()


async def csrf(client: httpx.AsyncClient) -> str:
    page = (await client.get("/checks")).text
    marker = 'name="csrf" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


FORMS = [
    ("/sites", {"code": "NEW-1", "name": "Siêu thị mới", "kind": "supermarket"}),
    ("/sites/import", {}),
    ("/people/invite", {"role": "inspector", "department": "QLTM"}),
    ("/people/1/role", {"role": "admin"}),
    ("/people/1/active", {"active": "0"}),
    ("/logout", {}),
]


@pytest.mark.parametrize(("path", "fields"), FORMS)
async def test_every_form_needs_the_sessions_csrf_token(console, path, fields):
    async with console.signed_in("admin") as client:
        code = await csrf(client)
        refused = await client.post(path, data=fields)
        assert refused.status_code == 403 and "Biểu mẫu không hợp lệ" in refused.text
        wrong = await client.post(path, data={**fields, "csrf": code[::-1]})
        assert wrong.status_code == 403
        header = await client.post(path, data=fields, headers={"X-CSRF-Token": "x" + code})
        assert header.status_code == 403
        # Nothing changed: the session still works and no site was added.
        assert (await client.get("/checks")).status_code == 200
    async with console.database.session() as session:
        assert (await session.exec(select(Site).where(Site.code == "NEW-1"))).first() is None


async def test_a_csrf_token_of_another_session_is_refused(console):
    async with console.signed_in("admin") as first, console.signed_in("admin") as second:
        other = await csrf(second)
        answer = await first.post(
            "/people/invite", data={"role": "head", "department": "QLTM", "csrf": other}
        )
        assert answer.status_code == 403


async def test_the_period_filter_takes_dd_mm_yyyy_in_local_time(console):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    async with console.signed_in("admin") as client:
        page = (await client.get("/checks", params={"from": "01/01/2000", "to": "31/12/2000"})).text
        assert "0 phiếu" in page and 'value="01/01/2000"' in page
        shown = today.strftime("%d/%m/%Y")
        page = (await client.get("/checks", params={"from": "01/01/2000", "to": shown})).text
        assert "3 phiếu" in page
