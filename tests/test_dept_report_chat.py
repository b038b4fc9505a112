"""The department reports in the chat, through the fake Telegram and Zalo servers
with the real bot: six heads file their year's report (QLTM's on Zalo, typing
numbers and "Xong"), KTATMT sends one back with a comment, its head corrects and
submits it again; the reminders stop for each department once its report is in;
/report 2026 then carries their documents, narratives, difficulties and
recommendations, in Times New Roman with page numbers."""

from __future__ import annotations

import io
import re
from datetime import date
from zoneinfo import ZoneInfo

import docx
from sqlmodel import select

from handlers.catalog import t
from handlers.checklist import ChecklistRegistry
from handlers.reminders import Reminders, ReminderSettings
from handlers.report_forms.form import load_form
from storage import dept_reports, people, sites
from storage.db import Database
from storage.models import ChecklistRun, Site, utcnow
from tests.fake_zalo import ZaloPhone
from tests.telegram_harness import Phone
from tests.test_annual_report import check_as_a_reader
from tests.test_review_chat import running_bot

YEAR = 2026
ADMIN_TG = 4100
HEADS = {  # department -> (name, Telegram id or None, Zalo id or None)
    "KTATMT": ("Nguyễn Văn An", 4101, None),
    "QLTM": ("Võ Thị Bình", None, "9a8b7c6d5e4f3a2b1c0d"),
    "QLCN": ("Phạm Văn Cường", 4103, None),
    "QLNL": ("Lê Thị Dung", 4104, None),
    "TTKC": ("Trần Văn Em", 4105, None),
    "KHAC": ("Đỗ Thị Gấm", 4106, None),
}


async def seed(database: Database) -> None:
    async with database.session() as session:
        rows, errors = sites.parse_sites_csv(sites.sample_sites_csv())
        assert not errors
        await sites.import_sites(session, rows)
        await people.add_person(
            session,
            name="Trần Quản Trị",
            role="admin",
            department_code="KTATMT",
            accounts={"telegram": str(ADMIN_TG)},
        )
        inspector = await people.add_person(
            session, name="Lê Kiểm Tra", role="inspector", department_code="QLTM"
        )
        for code, (name, tg_id, zalo_id) in HEADS.items():
            accounts = {"telegram": str(tg_id)} if tg_id else {"zalo": zalo_id}
            await people.add_person(
                session, name=name, role="head", department_code=code, accounts=accounts
            )
        # One supermarket checked by QLTM this year: its report starts from 1.
        shop = (await session.exec(select(Site).where(Site.kind == "supermarket"))).first()
        session.add(
            ChecklistRun(
                person_id=inspector.id,
                site_id=shop.id,
                checklist_id="supermarket",
                checklist_version=1,
                status="submitted",
                phase="review",
                submitted_at=utcnow(),
            )
        )
        await session.commit()


class Filer:
    """One head going through the form; ``pick`` taps (Telegram) or types the
    choice's number (Zalo)."""

    def __init__(self, phone, code: str) -> None:
        self.phone, self.code = phone, code
        self.marker = HEADS[code][0]  # answers name their writer, never a code
        self.questions = load_form().for_department(code)

    async def pick(self, label: str, expect: str):
        if isinstance(self.phone, Phone):
            return await self.phone.tap(label, expect)
        return await self.phone.choose(label, expect)

    def next_prompt(self, index: int) -> str:
        n = index + 2
        return f"{n}/{len(self.questions)}." if n <= len(self.questions) else "Gửi báo cáo cho"

    async def file(self, first):
        assert f"1/{len(self.questions)}." in first.text
        for index, question in enumerate(self.questions):
            after = self.next_prompt(index)
            if question.type == "group":
                await self.pick("Thêm văn bản", "Số, ký hiệu")
                await self.phone.send(f"{10 + index}/KH-SCT", "Ngày ban hành")
                await self.phone.send("15/03/2026", "Trích yếu")
                await self.phone.send(f"Kế hoạch SXTDBV năm 2026 ({self.marker})", "thứ 1")
                await self.pick("Không thêm nữa", after)
            elif question.type == "long_text":
                await self.phone.send(f"{question.id} ({self.marker}): phần một.", "Đã ghi 1")
                await self.phone.send("Phần hai.", "Đã ghi 2")
                if isinstance(self.phone, Phone):
                    await self.pick("Xong", after)
                else:
                    await self.phone.send("Xong", after)  # typed, as on any phone
            elif question.type == "integer":
                await self.phone.send("12", after)
            else:
                await self.pick("Bỏ qua", after)
        return await self.pick("Gửi báo cáo", "Đã gửi báo cáo năm 2026")


def phone_of(tg, zalo, code: str):
    name, tg_id, zalo_id = HEADS[code]
    return Phone(tg, tg_id) if tg_id else ZaloPhone(zalo, zalo_id, name)


async def waiting_departments(database: Database, day: date) -> set[str]:
    settings = ReminderSettings(timezone=ZoneInfo("Asia/Ho_Chi_Minh"))
    planner = Reminders(database, ChecklistRegistry.load(), settings)
    planned = await planner.plan(day, skip_handled=False)
    return {item.key["department_code"] for item in planned if item.key["kind"] == "reminder"}


async def test_six_heads_file_one_is_sent_back_and_the_report_writes_itself(
    tg, zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    assert await waiting_departments(sqlite_db, date(YEAR, 12, 3)) >= set(HEADS)
    async with running_bot(tg, zalo, sqlite_target.url, tmp_path / "media"):
        for code in HEADS:
            phone = phone_of(tg, zalo, code)
            if code == "QLTM":  # on Zalo: typed, as the reminder says
                first = await phone.send("Lập báo cáo", "1/")
                assert "bấm" not in first.text.lower()
            else:
                first = await phone.send("/baocao", "1/")
            done = await Filer(phone, code).file(first)
            assert "nhắc hạn" in done.text
            remaining = await waiting_departments(sqlite_db, date(YEAR, 12, 3))
            assert code not in remaining

        admin = Phone(tg, ADMIN_TG)
        listing = await admin.send("/baocao", "Báo cáo của các đơn vị năm 2026")
        assert listing.text.count("đã gửi ngày") == 6
        await admin.tap("Trả lại: Phòng Quản lý năng lượng", "gõ ý kiến")
        await admin.send("Bổ sung số cơ sở đã phổ biến", "Đã trả lại")
        assert "QLNL" in await waiting_departments(sqlite_db, date(YEAR, 12, 3))

        head = Phone(tg, HEADS["QLNL"][1])
        told = await head.expect("trả lại báo cáo năm 2026")
        assert "Bổ sung số cơ sở đã phổ biến" in told.text
        reopened = await head.tap("Lập báo cáo", "Tiếp tục báo cáo")
        assert "Bổ sung số cơ sở đã phổ biến" in reopened.text
        questions = load_form().for_department("QLNL")
        total = len(questions)
        await head.tap("Không thêm nữa", f"2/{total}.")  # the document stays
        await head.tap("Giữ nguyên", f"3/{total}.")
        await head.send("40", f"4/{total}.")  # facilities: corrected
        await head.tap("Bỏ qua", f"5/{total}.")
        await head.tap("Giữ nguyên", f"6/{total}.")
        review = await head.tap("Giữ nguyên", "Gửi báo cáo cho")
        assert "40" in review.text
        await head.tap("Gửi báo cáo", "Đã gửi báo cáo năm 2026")
        assert not set(HEADS) & await waiting_departments(sqlite_db, date(YEAR, 12, 3))

        own = await admin.tap("Tải: Phòng Quản lý năng lượng", "Báo cáo năm 2026 của Phòng")
        caption = await admin.send("/report 2026", "Dự thảo báo cáo SXTDBV năm 2026")
    department = docx.Document(io.BytesIO(next(iter(own.files.values())).content))
    own_text = "\n".join(p.text for p in department.paragraphs)
    assert "Kính gửi: Phòng Kỹ thuật an toàn – Môi trường." in own_text
    assert "- Số cơ sở sản xuất được phổ biến: 40." in own_text
    upload = next(iter(caption.files.values()))
    (tmp_path / "out").mkdir()
    compiled = tmp_path / "out" / "Bao-cao-SXTDBV-2026.docx"
    compiled.write_bytes(upload.content)
    check_as_a_reader(compiled, tmp_path / "out")  # Times New Roman, page numbers
    document = docx.Document(io.BytesIO(upload.content))
    text = "\n".join(p.text for p in document.paragraphs)
    for name, _tg, _zalo in HEADS.values():  # section I: every department's document
        assert f"Văn bản số 10/KH-SCT ngày 15/03/2026: Kế hoạch SXTDBV năm 2026 ({name})." in text
    qlnl = HEADS["QLNL"][0]
    assert f"Phòng Quản lý năng lượng: energy_text ({qlnl}): phần một.\nPhần hai." in text
    assert "40 cơ sở sản xuất được phổ biến" in text
    section4 = text[text.index("IV. KHÓ KHĂN") : text.index("V. KIẾN NGHỊ")]
    assert section4.count("difficulties (") == 6
    assert text[text.index("V. KIẾN NGHỊ") :].count("recommendations (") == 6
    assert "[" not in text
    for code in HEADS:
        assert not re.search(rf"\b{code}\b", text), code
    async with sqlite_db.session() as session:
        filed = await dept_reports.filed_reports(session, YEAR)
    assert [r.department_code for r in filed] == list(HEADS)


async def test_the_reminder_opens_the_form_where_it_stopped_on_zalo(
    zalo, sqlite_db, sqlite_target, tmp_path
):
    from datetime import datetime, time

    from bot.notify import Notifier
    from tests.test_zalo import running_zalo_bot

    await seed(sqlite_db)
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    settings = ReminderSettings(timezone=zone, tick_time=time(8, 0))
    reminders = Reminders(sqlite_db, ChecklistRegistry.load(), settings)
    name, _tg, zalo_id = HEADS["QLTM"]
    async with running_zalo_bot(zalo, sqlite_target.url, tmp_path / "media") as channel:
        phone = ZaloPhone(zalo, zalo_id, name)
        await phone.send("/baocao", "1/11.")
        await phone.choose("Không thêm nữa", "2/11.")
        await phone.send("Đã làm việc với các siêu thị.", "Đã ghi 1")
        # Then nothing for days: the reminder's screen replaces the form's, so its
        # numbers mean its choices.
        await reminders.tick(
            datetime.combine(date(YEAR, 12, 3), time(8, 0), tzinfo=zone),
            Notifier(sqlite_db, {"zalo": channel}),
        )
        reminder = await phone.expect("còn 7 ngày")
        assert "bấm" not in reminder.text.lower() and "/baocao" in reminder.text
        resumed = await phone.choose("Lập báo cáo", "Tiếp tục báo cáo năm 2026")
        assert "2/11." in resumed.text  # where it stopped, the message kept
        await phone.send("Xong", "3/11.")
        # The figure the checks give (1 supermarket checked), kept as it is.
        known = await phone.send("Bỏ qua", "4/11.")
        assert "Theo các phiếu kiểm tra đã gửi: 1." in known.text
        await phone.send("Giữ nguyên", "5/11.")
    async with sqlite_db.session() as session:
        report = await dept_reports.get_report(session, "QLTM", YEAR)
    assert report.answers["retail_text"] == "Đã làm việc với các siêu thị."
    assert report.answers["retail_sites"] == 1 and "retail_meetings" not in report.answers


async def test_who_may_fill_in_a_named_colleague_and_forged_choices(
    tg, zalo, sqlite_db, sqlite_target, tmp_path
):
    await seed(sqlite_db)
    async with sqlite_db.session() as session:
        await people.add_person(
            session,
            name="Hồ Chuyên Viên",
            role="inspector",
            department_code="QLCN",
            accounts={"telegram": "4200"},
        )
        await session.commit()
    async with running_bot(tg, zalo, sqlite_target.url, tmp_path / "media"):
        colleague = Phone(tg, 4200)
        await colleague.send("/baocao", "Chỉ trưởng đơn vị hoặc người được trưởng đơn vị giao")
        head = Phone(tg, HEADS["QLCN"][1])
        helped = await head.send("/help", "/baocao")
        assert "giao người khác lập" in helped.text
        await head.send("/baocao giao", "giao cho ai lập báo cáo năm 2026")
        await head.tap("Hồ Chuyên Viên", "Đã giao cho Hồ Chuyên Viên")
        await colleague.expect("Trưởng đơn vị giao anh/chị lập báo cáo năm 2026")
        opened = await colleague.send("/baocao", "Báo cáo năm 2026 của Phòng Quản lý công nghiệp")
        assert "1/" in opened.text
        # A head is no coordinator: a send-back typed as a forged choice changes nothing.
        other = Phone(tg, HEADS["QLNL"][1])
        async with sqlite_db.session() as session:
            report = await dept_reports.get_report(session, "QLCN", YEAR)
        await other.send("/baocao", "1/")  # its own form: a message with buttons
        tg.user_presses_button(HEADS["QLNL"][1], f"dr:rt:{report.id}", check=False)
        await other.expect("Chỉ Phòng Kỹ thuật an toàn – Môi trường")
        tg.user_presses_button(HEADS["QLNL"][1], f"dr:dg:{report.id}", check=False)
        await other.expect(t("vi", "stale_button"))
    async with sqlite_db.session() as session:
        report = await dept_reports.get_report(session, "QLCN", YEAR)
    assert report.status == "draft" and report.return_comment == ""
