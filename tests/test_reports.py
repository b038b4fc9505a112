"""/summary, the Excel export and the Word report (handlers/reports/), read back
with openpyxl and python-docx, on the data set of tests/test_kpis.py."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import docx
import openpyxl

from handlers.checklist import ChecklistRegistry
from handlers.messages import Inbound, PhotoRef
from handlers.questions import Question
from handlers.reports import (
    SIGNS,
    ReportSettings,
    export_command,
    export_xlsx,
    parse_year,
    report_command,
    report_docx,
    summary_chart,
    summary_command,
    summary_text,
)
from handlers.reports.answers import column_header
from handlers.reports.chart import chart_figure
from handlers.reports.formatting import vietnamese_key
from handlers.targets import Targets
from storage import people
from storage.kpis import Ratio, compute_kpis
from tests.test_kpis import TZ, build_dataset, supermarket, utc

PNG = b"\x89PNG\r\n\x1a\n"
TODAY = date(2026, 1, 15)  # the 2025 figures are final: as of 31/12/2025


def settings_for(tmp_path: Path, checklists: ChecklistRegistry | None = None) -> ReportSettings:
    return ReportSettings(timezone=TZ, out_dir=tmp_path / "reports", checklists=checklists)


async def person(database, account: str):
    async with database.session() as session:
        return await people.find_by_account(session, "terminal", account)


# --- the summary -------------------------------------------------------------------


async def test_the_summary_fits_a_phone_screen_with_every_indicator(sqlite_db, tmp_path):
    await build_dataset(sqlite_db, tmp_path / "media")
    async with sqlite_db.session() as session:
        text = await summary_text(session, 2025, "vi", settings=settings_for(tmp_path), today=TODAY)
        english = await summary_text(
            session, 2025, "en", settings=settings_for(tmp_path), today=TODAY
        )
        place = await summary_text(
            session,
            2025,
            "vi",
            commune="Phường Đức Phổ",
            settings=settings_for(tmp_path),
            today=TODAY,
        )
    lines = text.split("\n")
    assert lines[0] == "📊 SXTDBV năm 2025 — toàn tỉnh"
    assert lines[1] == "Số liệu đến ngày 31/12/2025"
    # Each indicator: sign, value, target (numbers by hand in tests/test_kpis.py).
    assert "🔴 K1 CCN được tuyên truyền: 2/4 = 50% · mục tiêu 70% (2025)" in lines
    assert (
        "✅ K2 Mô hình SXSH/SXTDBV đã áp dụng: 1 (đang xây dựng: 1) · mục tiêu 1–2 (2025)" in lines
    )
    assert "🔴 K3 ST/TTTM thay bao bì thân thiện: 1/4 = 25% · mục tiêu 85% (2025)" in lines
    assert "🟡 K4 ST/TTTM còn phát túi ni lông: 1 cơ sở · mục tiêu 0 (2030)" in lines
    assert "▫️ K5 ST/TTTM bán SP nhãn sinh thái: 1 cơ sở, 10 mã SP" in lines
    assert "▫️ K6 Cơ sở được phổ biến TKNL: 35 cơ sở" in lines
    assert "▫️ K7 Xúc tiến thương mại: 2 sự kiện, 150 SP" in lines
    assert "▫️ Độ phủ kiểm tra ST/TTTM: 3/4 = 75%" in lines
    assert "Chưa từng kiểm tra: 2 cơ sở — Cụm công nghiệp Bình Nguyên, Siêu thị Duy Tân" in lines
    assert "Số phiếu đã gửi năm 2025: 15" in lines
    assert "Báo cáo năm (hạn 10/12/2025): 1/6 đơn vị đã xác nhận" in lines
    assert "Chưa xác nhận: KTATMT, QLCN, QLNL, TTKC, KHAC" in lines
    # One phone screen: a score of short lines.
    assert len(lines) <= 20 and len(text) < 1200
    assert "🔴 K1 Clusters reached by awareness work: 2/4 = 50% · target 70% (2025)" in english
    # A commune: K6 and K7 have no site, so no figure by place.
    assert "📊 SXTDBV năm 2025 — Phường Đức Phổ" in place
    assert "K6 Cơ sở được phổ biến TKNL: — (không tính theo địa bàn)" in place
    assert "✅ K1 CCN được tuyên truyền: 1/1 = 100%" in place


def signs_of(lines: list[str]) -> set[str]:
    return {sign for sign in SIGNS.values() for line in lines if line.startswith(sign)}


async def test_k4_without_a_check_has_no_data_and_after_2025_any_bag_is_behind(sqlite_db, tmp_path):
    driver = await build_dataset(sqlite_db, tmp_path / "media")
    settings, spring = settings_for(tmp_path), date(2026, 3, 2)
    async with sqlite_db.session() as session:
        lines = (await summary_text(session, 2026, "vi", settings=settings, today=spring)).split(
            "\n"
        )
    # 2026 has no supermarket check yet: nothing measured, not a reached zero.
    assert "⚪ K4 ST/TTTM còn phát túi ni lông: chưa có số liệu · mục tiêu 0 (2030)" in lines
    # One shop checked in 2026 still hands out bags: past Decree 08/2022's limit
    # (31/12/2025) that is behind, though the plan's line to 2030 would call it on track.
    await driver.check(
        "qltm", "supermarket", "ST-A", supermarket("yes", "partial", "no"), utc(2026, 2, 2)
    )
    async with sqlite_db.session() as session:
        lines = (await summary_text(session, 2026, "vi", settings=settings, today=spring)).split(
            "\n"
        )
        english = await summary_text(session, 2026, "en", settings=settings, today=spring)
    assert (
        "🔴 K4 ST/TTTM còn phát túi ni lông: 1 cơ sở · phải bằng 0 từ 01/01/2026 "
        "(Nghị định 08/2022/NĐ-CP)"
    ) in lines
    assert "must be 0 from 01/01/2026 (Decree 08/2022/NĐ-CP)" in english
    # Every sign used is explained by the legend, the last line.
    assert lines[-1] == (
        "✅ đạt · 🟡 đúng lộ trình · 🔴 chậm · ⚪ chưa có số liệu · ▫️ không đặt mục tiêu"
    )
    assert signs_of(lines) <= {sign for sign in SIGNS.values() if sign in lines[-1]}
    assert "▫️" in signs_of(lines)


async def test_summary_command_permissions_and_picture(sqlite_db, tmp_path):
    await build_dataset(sqlite_db, tmp_path / "media")
    settings = settings_for(tmp_path)
    admin, head, inspector = [await person(sqlite_db, a) for a in ("admin", "head", "qltm")]
    async with sqlite_db.session() as session:
        replies = await summary_command(session, admin, "2025", settings, today=TODAY)
        assert replies[0].text.startswith("📊 SXTDBV năm 2025 — toàn tỉnh")
        assert replies[-1].picture is not None
        assert replies[-1].picture.read_bytes().startswith(PNG)
        # A head sees the own department only.
        replies = await summary_command(session, head, "", settings, today=TODAY)
        assert replies[0].text.startswith("📊 SXTDBV năm 2026 — đơn vị QLTM")
        replies = await summary_command(session, head, "2025", settings, today=TODAY)
        assert "Báo cáo năm (hạn 10/12/2025): 1/1 đơn vị đã xác nhận" in replies[0].text
        assert replies[-1].picture.read_bytes().startswith(PNG)
        # Inspectors are refused politely, for every command; heads get no files.
        for command in (summary_command, export_command, report_command):
            refused = await command(session, inspector, "2025", settings, today=TODAY)
            assert len(refused) == 1 and refused[0].text.startswith("Xin lỗi")
            assert refused[0].picture is None and refused[0].file is None
        for command in (export_command, report_command):
            refused = await command(session, head, "2025", settings, today=TODAY)
            assert refused[0].file is None and "quản trị viên" in refused[0].text
        usage = await summary_command(session, admin, "năm ngoái", settings, today=TODAY)
        assert usage[0].text.startswith("Cách dùng: /summary [năm]")
        # Admins get the files.
        export = await export_command(session, admin, "2025", settings, today=TODAY)
        assert export[0].file_name == "SXTDBV-2025.xlsx" and export[0].file.exists()
        report = await report_command(session, admin, "2025", settings, today=TODAY)
        assert report[0].file_name.endswith(".docx") and report[0].file.exists()


async def test_the_chart_is_a_png(sqlite_db, tmp_path):
    await build_dataset(sqlite_db, tmp_path / "media")
    async with sqlite_db.session() as session:
        figures = await compute_kpis(session, 2025)
    path = summary_chart(figures, Targets(), tmp_path / "charts" / "k.png")
    assert path.exists() and path.read_bytes().startswith(PNG)
    assert_chart_is_readable(chart_figure(figures, Targets()), ["70%", "85%"])
    # Figures crowding their targets (69% under 70%, 100% over 85%), in English.
    crowded = replace(figures, k1=Ratio(69, 100), k3=Ratio(4, 4), coverage=Ratio(4, 4))
    assert_chart_is_readable(chart_figure(crowded, Targets(), language="en"), ["70%", "85%"])


def assert_chart_is_readable(figure, targets: list[str]) -> None:
    """No two texts of the chart overlap, each target is written, and every bar colour
    drawn has its entry in the legend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_hex
    from matplotlib.patches import Patch

    canvas = FigureCanvasAgg(figure)  # the canvas summary_chart saves with
    canvas.draw()
    renderer = canvas.get_renderer()
    (axes,) = figure.axes
    (legend,) = figure.legends
    texts = [
        text
        for text in [axes.title, *axes.get_xticklabels(), *axes.texts, *legend.get_texts()]
        if text.get_visible() and text.get_text()
    ]
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in texts]
    for i, (first, box) in enumerate(boxes):
        for second, other in boxes[i + 1 :]:
            assert not box.overlaps(other), (first, second)
    ticks = [label.get_text() for label in axes.get_xticklabels()]
    for target, tick in zip(targets, ticks, strict=False):
        assert re.search(rf"(mục tiêu|target) {target} \(2025\)$", tick), tick
    bars = {to_hex(patch.get_facecolor()) for patch in axes.patches}
    keyed = {to_hex(h.get_facecolor()) for h in legend.legend_handles if isinstance(h, Patch)}
    assert bars == keyed


# --- the Excel export ----------------------------------------------------------------


def registry_without(tmp_path: Path, question_id: str) -> ChecklistRegistry:
    """The checklists as they would be after a later version dropped a question."""
    folder = tmp_path / "checklists"
    source = resources.files("handlers") / "checklists"
    folder.mkdir()
    for item in source.iterdir():
        if item.name.endswith(".toml"):
            text = item.read_text(encoding="utf-8")
            if item.name == "supermarket.toml":
                blocks = text.split("[[question]]")
                text = "[[question]]".join(
                    b for b in blocks if f'id = "{question_id}"' not in b
                ).replace("version = 1", "version = 2")
            (folder / item.name).write_text(text, encoding="utf-8")
    return ChecklistRegistry.load(folder)


def rows_of(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


BAG_KINDS = ("Túi phân hủy sinh học", "Túi giấy", "Túi vải, dùng nhiều lần", "Túi ni lông thường")
PRACTICES = ("Đèn LED", "Biến tần", "Điện mặt trời mái nhà", "Kiểm toán năng lượng", "Khác")


def assert_printable(sheet) -> None:
    """Prints as a table should: landscape, every column on the page width, the header
    row repeated on each page."""
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"  # as openpyxl reads it back
    assert sheet.freeze_panes == "A2"


async def test_the_workbook_has_checks_sites_and_indicators(db, tmp_path):
    driver = await build_dataset(db, tmp_path / "media")
    # One more 2025 check, by the admin at ST-D, with a photo.
    run_id = await driver.start("admin", "supermarket", "ST-D")
    await driver.answer("admin", supermarket("no", "full", "no")[:-3])

    async def download(path: Path) -> None:
        path.write_bytes(b"\xff\xd8 jpeg")

    await driver.engine.handle(
        Inbound(channel="terminal", sender_id="admin", photo=PhotoRef("p1", download))
    )
    await driver.answer("admin", ["15.12, 108.8", "/skip"])  # typed coordinates, no note
    await driver.submit("admin", run_id, utc(2025, 12, 1))

    # The current supermarket file no longer asks about foam trays: old answers stay.
    settings = settings_for(tmp_path, registry_without(tmp_path, "foam_trays"))
    async with db.session() as session:
        path = await export_xlsx(
            session, 2025, tmp_path / "out" / "x.xlsx", settings=settings, today=TODAY
        )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Siêu thị, TTTM",
        "Tuyên truyền CCN",
        "Mô hình SXSH",
        "Tiết kiệm năng lượng",
        "Xúc tiến thương mại",
        "Cơ sở",
        "Chỉ tiêu",
        "Lịch sử sửa",
    ]

    shops = book["Siêu thị, TTTM"]
    rows = rows_of(shops)
    header = rows[0]
    assert header[:9] == [
        "Mã phiếu",
        "Thời gian gửi",
        "Cán bộ",
        "Đơn vị",
        "Mã cơ sở",
        "Tên cơ sở",
        "Loại cơ sở",
        "Xã/phường",
        "Phiên bản phiếu",
    ]
    column = {name: index for index, name in enumerate(header)}
    # Short headers (the checklist's `short` labels), never a whole question.
    assert not [h for h in header if "bấm" in h or "?" in h or len(h) > 45], header
    bags = "Túi ni lông khó phân hủy"
    assert bags in column
    assert "foam_trays" in column  # removed from the file: its question id as header
    # 2025 supermarket checks, oldest first: s4 (01/01/2025 00:30 local), s1, s6, s5,
    # s2, the photo check. Drafts and cancelled runs are not rows.
    assert [r[column["Mã cơ sở"]] for r in rows[1:]] == [
        "ST-B",
        "ST-A",
        "ST-X",
        "TTTM-C",
        "ST-A",
        "ST-D",
    ]
    first = rows[1]
    assert first[column["Thời gian gửi"]] == datetime(2025, 1, 1, 0, 30)
    assert shops.cell(row=2, column=2).number_format == "dd/mm/yyyy hh:mm"
    assert first[column[bags]] == "Không rõ"
    assert first[column["Thay bao bì nhựa"]] == "Chưa"
    # A multiple choice: one 0/1 column per option, numbers Excel can filter.
    kinds = [f"Loại túi đựng hàng: {label}" for label in BAG_KINDS]
    assert [header.index(name) for name in kinds] == list(
        range(header.index(kinds[0]), header.index(kinds[0]) + 4)
    )
    assert [first[column[name]] for name in kinds] == [1, 1, 0, 0]
    assert all(shops.cell(row=2, column=column[name] + 1).data_type == "n" for name in kinds)
    share = first[column["Tỷ lệ túi thân thiện"]]
    assert share == 80 and isinstance(share, int)
    assert first[column["foam_trays"]] == "no"
    assert first[column["Loại cơ sở"]] == "Siêu thị" and first[column["Cán bộ"]] == "Lê Thị Kiểm"
    tttm = rows[4]
    assert tttm[column["Số mã có Nhãn xanh"]] == 10
    assert (
        tttm[column["Đơn vị"]] == "KTATMT" and tttm[column["Loại cơ sở"]] == "Trung tâm thương mại"
    )
    photo = rows[6][column["Ảnh"]]
    assert re.fullmatch(r"photo-[0-9a-f]{8}\.jpg", photo)
    # A location: latitude and longitude, two number columns; blank where not given.
    lat, lon = column["Vị trí: Vĩ độ"], column["Vị trí: Kinh độ"]
    assert lon == lat + 1 and (rows[6][lat], rows[6][lon]) == (15.12, 108.8)
    assert shops.cell(row=7, column=lat + 1).data_type == "n"
    assert (first[lat], first[lon]) == (None, None)
    assert_printable(shops)

    clusters = book["Tuyên truyền CCN"]
    rows = rows_of(clusters)
    column = {name: index for index, name in enumerate(rows[0])}
    # a2's update (no), a3, a4 in 2025; a2 itself is superseded, a5 is 2026.
    aware = "Đã tuyên truyền"
    assert [(r[column["Mã cơ sở"]], r[column[aware]]) for r in rows[1:]] == [
        ("CCN-2", "Chưa"),
        ("CCN-3", "Đã"),
        ("CCN-P", "Đã"),
    ]
    day = clusters.cell(row=3, column=column["Ngày tổ chức"] + 1)
    assert day.is_date and day.value.date() == date(2025, 5, 20)
    assert day.number_format == "dd/mm/yyyy"
    assert rows[2][column["Số người tham dự"]] == 40

    energy = rows_of(book["Tiết kiệm năng lượng"])
    assert "Mã cơ sở" not in energy[0]  # no site is chosen for this checklist
    assert sorted(r[energy[0].index("Số cơ sở được phổ biến")] for r in energy[1:]) == [15, 20]
    # Practices "1, 2": LED and variable-frequency drives ticked, the others 0.
    practices = [energy[0].index(f"Giải pháp: {label}") for label in PRACTICES]
    assert [[r[i] for i in practices] for r in energy[1:]] == [[1, 1, 0, 0, 0]] * 2

    sites = rows_of(book["Cơ sở"])
    column = {name: index for index, name in enumerate(sites[0])}
    by_code = {r[column["Mã cơ sở"]]: r for r in sites[1:]}
    assert len(by_code) == 10
    assert by_code["ST-X"][column["Tình trạng"]] == "Đã đóng cửa"
    assert by_code["CCN-P"][column["Tình trạng"]] == "Quy hoạch"
    assert by_code["ST-A"][column["Số lần kiểm tra năm 2025"]] == 2
    assert by_code["ST-A"][column["Lần kiểm tra gần nhất"]] == datetime(2025, 9, 1, 10, 0)
    # Vietnamese alphabetical order: "Cụm …" before "Siêu thị …" before "Trung tâm …",
    # and within them Bình < Phổ < Tịnh (Python's own order would not do Đ, Ơ, Â).
    assert [r[column["Tên cơ sở"]] for r in sites[1:]] == [
        "Cụm công nghiệp Bình Nguyên",
        "Cụm công nghiệp Phổ Phong",
        "Cụm công nghiệp Phổ Thạnh",
        "Cụm công nghiệp Tịnh Hà",
        "Cụm công nghiệp Tịnh Phong",
        "Siêu thị An Phú",
        "Siêu thị Bình Minh",
        "Siêu thị Duy Tân",
        "Siêu thị Xóm Cũ",
        "Trung tâm thương mại Cát Tường",
    ]
    assert_printable(book["Cơ sở"])

    indicators = book["Chỉ tiêu"]
    rows = rows_of(indicators)
    assert rows[0] == [
        "Mã",
        "Chỉ tiêu",
        "Kết quả năm 2025",
        "Tử số",
        "Mẫu số",
        "Chi tiết",
        "Mục tiêu 2025",
        "Mục tiêu 2030",
        "% đạt",
        "Đánh giá",
        "Nguồn số liệu",
    ]
    k1 = rows[1]
    assert k1[0] == "K1" and k1[2] == 0.5 and (k1[3], k1[4]) == (2, 4)
    assert (k1[6], k1[7]) == (0.7, 1) and k1[9] == "Chậm so với lộ trình"
    assert indicators.cell(row=2, column=3).number_format == "0.0%"
    assert rows[2][0] == "K2" and rows[2][2] == 1 and rows[2][6] == "1–2"
    k6 = next(r for r in rows if r[0] == "K6")
    assert k6[2] == 35


# --- the Word report ---------------------------------------------------------------


def table_with(document, header: str):
    return next(t for t in document.tables if header in [c.text for c in t.rows[0].cells])


async def test_the_annual_report_draft(sqlite_db, tmp_path):
    await build_dataset(sqlite_db, tmp_path / "media")
    async with sqlite_db.session() as session:
        path = await report_docx(
            session, 2025, tmp_path / "r.docx", settings=settings_for(tmp_path), today=TODAY
        )
    document = docx.Document(str(path))
    text = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in text
    letterhead = [cell.text for row in document.tables[0].rows for cell in row.cells]
    assert "Quảng Ngãi, ngày 15 tháng 01 năm 2026" in letterhead
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:1] == ["I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH VÀ BAN HÀNH VĂN BẢN"]
    for heading in (
        "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ",
        "III. BẢNG CHỈ TIÊU",
        "IV. KHÓ KHĂN, VƯỚNG MẮC",
        "V. KIẾN NGHỊ, ĐỀ XUẤT",
    ):
        assert heading in headings
    assert any(h.startswith("PHỤ LỤC 1.") for h in headings)
    assert any(h.startswith("PHỤ LỤC 2.") for h in headings)
    body = "\n".join(text)
    assert "2/4 cụm công nghiệp đang hoạt động đã được tuyên truyền" in body
    assert "(50%); mục tiêu 70% năm 2025" in body
    # No internal status list: who confirmed when is the web console's, not the Ministry's.
    assert "đã xác nhận" not in body and "QLTM" not in body

    table = table_with(document, "Mục tiêu 2025")
    assert [c.text for c in table.rows[0].cells] == [
        "STT",
        "Chỉ tiêu",
        "Mục tiêu 2025",
        "Mục tiêu 2030",
        "Kết quả năm 2025",
        "% đạt",
        "Nguồn số liệu",
    ]
    k1 = [c.text for c in table.rows[1].cells]
    assert k1[1].startswith("Tỷ lệ cụm công nghiệp")
    # 2/4 = 50% of a 70% target: 71,4% achieved.
    assert k1[2:6] == ["70%", "100%", "2/4 = 50%", "71,4%"]
    assert k1[6] == "Phiếu tuyên truyền SXTDBV tại CCN (Phòng Quản lý công nghiệp)"
    k3 = [c.text for c in table.rows[3].cells]
    assert k3[2:6] == ["85%", "100%", "1/4 = 25%", "29,4%"]  # 25 / 85 = 29,4%

    annex1 = [
        [c.text for c in row.cells]
        for row in table_with(document, "Ngày tổ chức (dd/mm/yyyy)").rows
    ]
    # Clusters reached since 2021: CCN-3 (2025) and CCN-1 (2024), by name.
    assert [row[1] for row in annex1[1:]] == [
        "Cụm công nghiệp Phổ Phong",
        "Cụm công nghiệp Tịnh Phong",
    ]
    assert annex1[2][3] == "10/06/2024" and "10/06/2024" in annex1[2]
    annex2 = table_with(document, "Loại túi đựng hàng đang dùng?")
    header = [c.text for c in annex2.rows[0].cells]
    rows = [[c.text for c in row.cells] for row in annex2.rows[1:]]
    # Operating supermarkets and trade centres checked in 2025, latest check each.
    assert [row[1] for row in rows] == [
        "Siêu thị An Phú",
        "Siêu thị Bình Minh",
        "Trung tâm thương mại Cát Tường",
    ]
    shop_a = dict(zip(header, rows[0], strict=True))
    assert shop_a["Ngày kiểm tra"] == "01/09/2025"
    assert (
        shop_a["Bao bì nhựa dùng một lần đã được thay bằng bao bì thân thiện môi trường chưa?"]
        == "Một phần"
    )
    assert shop_a["Ước tính tỷ lệ túi thân thiện môi trường trên tổng số túi phát ra (%)"] == "80%"


# --- small things ----------------------------------------------------------------------


def test_split_text_keeps_lines_whole():
    from handlers.messages import split_text

    text = "\n".join(f"dòng {n:04d}" for n in range(1000))  # 9,999 characters
    parts = split_text(text, 4096)
    assert all(len(part) <= 4096 for part in parts) and "\n".join(parts) == text
    assert split_text("x" * 5000, 4096) == ["x" * 4096, "x" * 904]
    assert split_text("ngắn") == ["ngắn"]


def test_parse_year():
    today = date(2026, 3, 1)
    assert parse_year("", today) == 2026
    assert parse_year(" 2025 ", today) == 2025
    assert parse_year("2020", today) is None and parse_year("2028", today) is None
    assert parse_year("abc", today) is None


def test_report_texts_are_in_step_in_both_languages():
    folder = resources.files("handlers") / "locales"
    vi = tomllib.loads((folder / "reports_vi.toml").read_text(encoding="utf-8"))
    en = tomllib.loads((folder / "reports_en.toml").read_text(encoding="utf-8"))
    assert set(vi) == set(en)
    for key in vi:
        assert key.startswith("rep_")
        assert set(re.findall(r"{(\w+)}", vi[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_column_headers_are_short_labels_or_the_wording_without_chat_asides():
    photo = Question("photo", "photo", {"vi": "Chụp ảnh mô hình (hoặc bấm Bỏ qua)"})
    day = Question("day", "date", {"vi": "Ngày bắt đầu (dd/mm/yyyy)", "en": "Start (dd/mm/yyyy)"})
    share = Question("share", "percent", {"vi": "Tỷ lệ túi (%)"})
    short = Question("bags", "yes_no", {"vi": "Cửa hàng còn phát túi?"}, short={"vi": "Túi"})
    assert column_header(photo, "vi") == "Chụp ảnh mô hình"
    assert (column_header(day, "vi"), column_header(day, "en")) == ("Ngày bắt đầu", "Start")
    assert column_header(share, "vi") == "Tỷ lệ túi (%)"  # the unit stays
    assert column_header(short, "vi") == column_header(short, "en") == "Túi"


def test_names_sort_in_vietnamese_alphabetical_order():
    names = ["Đông Hà", "Dương", "Duy", "Ăn", "An", "Âu", "Ba", "Anh", "An Phú", "Ơn", "Ôm", "Om"]
    assert sorted(names, key=vietnamese_key) == [
        "An",
        "An Phú",
        "Anh",
        "Ăn",
        "Âu",
        "Ba",
        "Duy",
        "Dương",
        "Đông Hà",
        "Om",
        "Ôm",
        "Ơn",
    ]
    # Tones after letters, in dictionary order: ngang, huyền, hỏi, ngã, sắc, nặng.
    tones = ["Sọ", "Só", "Sõ", "Sỏ", "Sò", "So"]
    assert sorted(tones, key=vietnamese_key) == ["So", "Sò", "Sỏ", "Sõ", "Só", "Sọ"]
    assert sorted(["số", "Sơ", "sở", "Sô"], key=vietnamese_key) == ["Sô", "số", "Sơ", "sở"]
