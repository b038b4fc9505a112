"""The annual report DOCX as a reader gets it: the layout of an official document
(Decree 30/2020) read back from the file, then the file opened in LibreOffice,
converted to PDF and read back with poppler (pages, fonts, text); skipped with the
reason where LibreOffice or poppler is missing."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest

from handlers.reports import ReportSettings, report_docx
from storage import dept_reports
from tests.bench.bench_summary import YEAR, load

TODAY = date(YEAR, 12, 15)
CODES = ("KTATMT", "QLTM", "QLCN", "QLNL", "TTKC", "KHAC")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FILED = {
    "QLTM": {
        "documents": [
            {"number": "125/KH-SCT", "date": "2026-03-15", "title": "Kế hoạch kiểm tra siêu thị"}
        ],
        "retail_text": "Làm việc với 5 siêu thị về lộ trình bỏ túi ni lông.",
        "retail_meetings": 6,
        "difficulties": "Một số siêu thị nhỏ chưa có nguồn bao bì thay thế giá hợp lý.",
        "recommendations": "Đề nghị Bộ hướng dẫn tiêu chí bao bì thân thiện môi trường.",
    },
    "QLCN": {
        "awareness_text": "Tổ chức 4 hội nghị tuyên truyền tại các cụm công nghiệp.",
        "sessions": 4,
        "participants": 320,
        "difficulties": "Doanh nghiệp ít tham dự vào mùa cao điểm sản xuất.",
    },
}


async def _filed(database) -> None:
    async with database.session() as session:
        for code, answers in FILED.items():
            report = await dept_reports.open_report(session, code, YEAR)
            dept_reports.keep(report, answers, {})
            await dept_reports.submit(session, report, 1)
        await session.commit()


@pytest.fixture
async def report_file(sqlite_db, tmp_path) -> Path:
    await load(sqlite_db, 60, 200)
    await _filed(sqlite_db)
    async with sqlite_db.session() as session:
        return await report_docx(
            session,
            YEAR,
            tmp_path / "report.docx",
            settings=ReportSettings(out_dir=tmp_path),
            today=TODAY,
        )


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


async def test_fonts_page_and_margins_are_an_official_documents(report_file):
    with zipfile.ZipFile(report_file) as archive:
        styles = archive.read("word/styles.xml").decode()
        theme = archive.read("word/theme/theme1.xml").decode()
        body = archive.read("word/document.xml").decode()
    # No theme font anywhere (it beat w:ascii and gave headings Calibri).
    assert not re.search(r"w:(asciiTheme|hAnsiTheme|eastAsiaTheme|cstheme)=", styles + body)
    rfonts = " ".join(re.findall(r"<w:rFonts ([^>]*)>", styles + body))
    fonts = set(re.findall(r'w:(?:ascii|hAnsi|eastAsia|cs)="([^"]+)"', rfonts))
    assert fonts == {"Times New Roman"}
    assert "Calibri" not in theme and "Cambria" not in theme
    document = docx.Document(str(report_file))
    first = document.sections[0]
    assert (round(first.page_width.cm, 1), round(first.page_height.cm, 1)) == (21.0, 29.7)
    top, bottom, left, right = (
        round(m.cm, 2)
        for m in (first.top_margin, first.bottom_margin, first.left_margin, first.right_margin)
    )
    assert 2.0 <= top <= 2.5 and 2.0 <= bottom <= 2.5
    assert 3.0 <= left <= 3.5 and 1.5 <= right <= 2.0
    # Page numbers at the top, none on the first page.
    assert first.different_first_page_header_footer
    assert 'w:instr="PAGE"' in first.header._element.xml
    for name in ("Heading 1", "Heading 2"):
        assert document.styles[name].font.color.rgb == docx.shared.RGBColor(0, 0, 0)


async def test_texts_name_departments_and_programme_and_leave_no_placeholder(report_file):
    document = docx.Document(str(report_file))
    text = _text(document)
    assert "[" not in text and "]" not in text
    assert "Chương trình hành động quốc gia về sản xuất và tiêu dùng bền vững" in text
    first = text.index("SXTDBV")
    assert text[first - 80 : first].endswith("sản xuất và tiêu dùng bền vững (sau đây viết tắt là ")
    assert "Số: …/BC-SCT" in text
    assert not re.search(r"\b0 (mô hình|cơ sở|sự kiện|hội chợ)", text)
    archive_line = next(p for p in text.split("\n") if p.startswith("- Lưu:"))
    without_archive = text.replace(archive_line, "")
    for code in CODES:
        assert not re.search(rf"\b{code}\b", without_archive), code
    assert not re.search(r"\bS\d{5}\b", text)  # no site codes
    assert "Phòng Quản lý thương mại: Làm việc với 5 siêu thị" in text
    assert "Văn bản số 125/KH-SCT ngày 15/03/2026: Kế hoạch kiểm tra siêu thị." in text
    assert "Kết quả: 4 buổi tuyên truyền, 320 người tham dự." in text


async def test_the_indicator_table_fits_the_page_and_rows_stay_whole(report_file):
    document = docx.Document(str(report_file))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "STT")
    grid = [int(c.get(f"{W}w")) for c in table._tbl.tblGrid.findall(f"{W}gridCol")]
    assert grid[1] == max(grid) and grid[1] > 3 * grid[0]  # the name gets the room
    assert sum(grid) <= round(16.5 * 567) + 5
    for row in table.rows:
        assert row._tr.trPr.find(f"{W}cantSplit") is not None
    assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None


def _tools_missing() -> str | None:
    missing = [
        tool
        for tool in ("libreoffice", "pdffonts", "pdftotext", "pdfinfo")
        if not shutil.which(tool)
    ]
    return f"not installed: {', '.join(missing)}" if missing else None


def check_as_a_reader(report: Path, folder: Path) -> int:
    """Converts ``report`` with LibreOffice and reads the PDF back: Times New Roman
    (or its metric twin where it is not installed) throughout, the motto on one
    line, the page number at the top of every page from page 2, no blank page, no
    placeholder. The page count; skips with the reason where the tools are missing."""
    reason = _tools_missing()
    if reason:
        pytest.skip(f"LibreOffice check skipped ({reason}; .ci/run installs them)")
    subprocess.run(
        ["libreoffice", f"-env:UserInstallation=file://{folder}/lo", "--headless",
         "--convert-to", "pdf", "--outdir", str(folder), str(report)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = folder / f"{report.stem}.pdf"
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=True).stdout
    names = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
    # Times New Roman, or where it is not installed its metric twin Liberation Serif.
    assert names and all(re.match(r"(TimesNewRoman|LiberationSerif)", n) for n in names), names
    for page in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), pdf, "-"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if page == 1:
            assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text  # the motto on one line
            assert not lines[0].isdigit()
        else:
            assert lines[0] == str(page)  # the number at the top
            assert len(" ".join(lines[1:]).split()) > 5  # no blank page
        assert "[" not in text
    return pages


async def test_it_opens_in_libreoffice_in_times_new_roman_with_page_numbers(report_file, tmp_path):
    assert 3 <= check_as_a_reader(report_file, tmp_path) <= 12
