"""What the pages do, through the ASGI app: the CSV import's all-or-nothing checks, the
site form, the Excel download of the filtered rows, invites, roles, the English switch."""

from __future__ import annotations

import io

from sqlmodel import select

from storage.models import Invite, Person, Site
from tests.web.test_permissions import csrf

HEADER = "code,name,kind,commune,old_district,province,status,note\n"


async def test_a_csv_with_a_bad_line_writes_nothing_and_names_the_line(console):
    async with console.signed_in("admin") as client:
        token = await csrf(client)
        text = HEADER + "NEW-A,Siêu thị A,supermarket,Xã A,,Quảng Ngãi,operating,\n"
        text += "NEW-B,Siêu thị B,shop,Xã B,,Quảng Ngãi,operating,\n"
        files = {"file": ("sites.csv", io.BytesIO(text.encode()), "text/csv")}
        answer = await client.post("/sites/import", data={"csrf": token}, files=files)
        assert answer.status_code == 422
        assert "line 3" in answer.text and "chưa ghi gì" in answer.text
        async with console.database.session() as session:
            assert (await session.exec(select(Site).where(Site.code == "NEW-A"))).first() is None
        good = HEADER + "NEW-A,Siêu thị A,supermarket,Xã A,,Quảng Ngãi,operating,\n"
        files = {"file": ("sites.csv", io.BytesIO(good.encode()), "text/csv")}
        answer = await client.post("/sites/import", data={"csrf": token}, files=files)
        assert answer.status_code == 200 and "1 cơ sở mới" in answer.text


async def test_a_site_is_added_corrected_and_closed_with_the_csv_rules(console):
    async with console.signed_in("admin") as client:
        token = await csrf(client)
        fields = {"csrf": token, "code": "WEB-1", "name": "Chợ Thử", "kind": "supermarket"}
        refused = await client.post("/sites", data={**fields, "lat": "95", "lon": "108.8"})
        assert refused.status_code == 422 and "bad coordinate" in refused.text
        assert (await client.post("/sites", data=fields)).status_code == 303
        assert (await client.post("/sites", data=fields)).status_code == 422  # code taken
        edit = {**fields, "name": "Chợ Thử Mới", "status": "operating", "code": "OTHER"}
        assert (await client.post("/sites/WEB-1/edit", data=edit)).status_code == 303
        assert (await client.post("/sites/WEB-1/close", data={"csrf": token})).status_code == 303
    async with console.database.session() as session:
        site = (await session.exec(select(Site).where(Site.code == "WEB-1"))).one()
        assert (site.name, site.status) == ("Chợ Thử Mới", "closed")
        assert (await session.exec(select(Site).where(Site.code == "OTHER"))).first() is None


async def test_the_excel_download_holds_the_filtered_rows_only(console):
    from openpyxl import load_workbook

    async with console.signed_in("admin") as client:
        answer = await client.get("/checks.xlsx", params={"inspector": "3"})  # the admin
    assert answer.status_code == 200
    workbook = load_workbook(io.BytesIO(answer.content), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == console.runs["by_admin"]


async def test_an_invite_shows_its_code_and_qr_and_roles_change(console):
    async with console.signed_in("admin") as client:
        token = await csrf(client)
        page = await client.post(
            "/people/invite", data={"csrf": token, "role": "head", "department": "QLCN"}
        )
        assert page.status_code == 200 and "<svg" in page.text
        inspector = await console.person("inspector")
        answer = await client.post(
            f"/people/{inspector.id}/role", data={"csrf": token, "role": "head"}
        )
        assert answer.status_code == 303
        admin = await console.person("admin")
        own = await client.post(f"/people/{admin.id}/active", data={"csrf": token, "active": "0"})
        assert own.status_code == 422
        english = await client.get("/people", params={"lang": "en"})
        assert "Create an invite" in english.text
        assert "Add a site" in (await client.get("/sites")).text  # the choice is kept
    async with console.database.session() as session:
        invite = (await session.exec(select(Invite))).one()
        assert (invite.role, invite.department_code) == ("head", "QLCN")
        assert invite.code in page.text
        changed = (await session.exec(select(Person).where(Person.id == inspector.id))).one()
        assert changed.role == "head"


async def test_a_head_sees_the_divisions_figures_as_summary_does(console):
    from handlers.reports import build_summary

    async with console.signed_in("head") as client:
        page = (await client.get("/overview")).text
    settings = console.app.state.console.report_settings()
    async with console.database.session() as session:
        from datetime import datetime

        year = datetime.now(settings.timezone).year
        summary = await build_summary(session, year, "vi", "QLTM", settings=settings)
    assert f"{summary.kpis.checks} phiếu kiểm tra trong năm" in page
    assert "Theo phòng" not in page  # the by-division table is the admin's
