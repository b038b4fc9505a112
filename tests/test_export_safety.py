"""What users typed never breaks or arms the office's files (issue 16): rows stored
before input was cleaned, with control characters and formula-looking text, go
through the real `fieldbot export` and `fieldbot report` and are read back with
openpyxl and python-docx."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import docx
import openpyxl
import pytest

from handlers.reports import EXCEL_CELL_CHARACTERS, file_text
from storage.models import Answer, ChecklistRun, Person, Site
from tests.test_cli import cli_environment, runner  # noqa: F401  (the CLI fixture)

CONTROL = ("\x0b", "\x07", "\x1f")
# What neither an .xlsx nor a .docx may hold (tab, line feed and CR are fine).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMULAS = ('=HYPERLINK("http://x","y")', "+1+2", "-3+4", "@SUM(A1:A2)")


@pytest.fixture
def fieldbot(cli_environment, capsys, database_target):  # noqa: F811
    cli_environment.setenv("FIELDBOT_DATABASE_URL", database_target.url)
    return runner(capsys)


async def store_old_rows(db) -> dict[str, int]:
    """Sites, a person and submitted checks written straight into the tables, as
    rows from before any cleaning on input would be."""
    async with db.session() as session:
        site = Site(
            code="ST-CTRL",
            name="Siêu thị\x07 Chuông",
            search_name="sieu thi chuong",
            kind="supermarket",
            commune="Phường\x1f Cẩm Thành",
            note="dòng một\x0bdòng hai",
        )
        formula_site = Site(
            code="ST-EQ",
            name="=1+1",
            search_name="1+1",
            kind="supermarket",
            commune="@Phường",
        )
        inspector = Person(name="Lê Thị\x1f Kiểm\x0b", role="inspector", department_code="QLTM")
        session.add_all([site, formula_site, inspector])
        await session.flush()
        runs: dict[str, int] = {}
        answers: list[tuple[str, str, dict]] = [
            (character, site.id, {"note": f"ghi{character}chú", "remark": f"cũ{character}"})
            for character in CONTROL
        ]
        answers += [
            (formula, formula_site.id, {"note": formula, "remark": formula}) for formula in FORMULAS
        ]
        for day, (key, site_id, texts) in enumerate(answers, start=1):
            run = ChecklistRun(
                person_id=inspector.id,
                site_id=site_id,
                checklist_id="supermarket",
                checklist_version=1,
                status="submitted",
                phase="review",
                submitted_at=datetime(2025, 6, day, 3, tzinfo=UTC),
            )
            session.add(run)
            await session.flush()
            runs[key] = run.id
            session.add(Answer(run_id=run.id, question_id="nonbio_bags", value_text="no"))
            session.add(Answer(run_id=run.id, question_id="eco_label_count", value_number=12))
            # "remark": a question since removed from the checklist (its own column).
            for question_id, value in texts.items():
                session.add(Answer(run_id=run.id, question_id=question_id, value_text=value))
        await session.commit()
    return runs


def cells_of(workbook) -> list:
    return [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]


async def test_control_characters_and_formulas_are_exported_as_plain_text(fieldbot, db, tmp_path):
    runs = await store_old_rows(db)
    out = tmp_path / "out" / "SXTDBV-2025.xlsx"
    exported = await fieldbot("export", "--year", "2025", "--out", str(out))
    assert exported.code == 0, exported
    assert exported.err == ""

    workbook = openpyxl.load_workbook(out)
    cells = cells_of(workbook)
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if NOT_XML.search(text)]
    # Word's line break becomes a line break; the bell and the unit separator go.
    assert "ghi\nchú" in texts and "cũ\n" in texts
    assert texts.count("ghichú") == 2 and texts.count("cũ") == 2
    assert "Siêu thị Chuông" in texts and "Phường Cẩm Thành" in texts
    assert "dòng một\ndòng hai" in texts  # the site's note, on the sites sheet
    assert "Lê Thị Kiểm\n" in texts

    # Formula-looking text is a text cell, never a formula, and stays text when edited.
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    for formula in (*FORMULAS, "=1+1", "@Phường"):
        found = [cell for cell in cells if cell.value == formula]
        assert found, formula
        assert all(cell.data_type == "s" and cell.quotePrefix for cell in found), formula
    # Numbers stay numbers.
    sheet = next(sheet for sheet in workbook if sheet.cell(row=2, column=1).value == runs["\x0b"])
    numbers = [cell for cell in sheet[2] if cell.value == 12]
    assert numbers and all(cell.data_type == "n" for cell in numbers)
    assert sheet.cell(row=2, column=1).data_type == "n"

    # The Word report takes the same rows: the annex lists the sites and old answers.
    report = tmp_path / "out" / "report.docx"
    written = await fieldbot("report", "--year", "2025", "--out", str(report))
    assert written.code == 0, written
    document = docx.Document(str(report))
    cell_texts = [
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    ]
    # Sites by name (the annual report names no site codes).
    assert "Siêu thị Chuông" in cell_texts
    assert "=1+1" in cell_texts
    assert "cũ" in cell_texts
    assert not [text for text in cell_texts if NOT_XML.search(text)]


def test_file_text_keeps_what_a_file_can_hold():
    assert file_text("a\tb\nc\rd") == "a\tb\nc\rd"
    assert file_text("a\x0bb\x0cc") == "a\nb\nc"
    assert file_text("".join(chr(code) for code in range(32))) == "\t\n\n\n\r"
    assert file_text("x\ud800y\ufffez\uffff") == "xyz"
    assert file_text("Quảng Ngãi 😀") == "Quảng Ngãi 😀"


async def test_a_huge_answer_is_cut_to_what_excel_holds(db, tmp_path):
    from handlers.reports import ReportSettings, export_xlsx
    from tests.test_kpis import TZ

    async with db.session() as session:
        site = Site(code="ST-L", name="Dài", search_name="dai", kind="supermarket")
        person = Person(name="A", role="inspector", department_code="QLTM")
        session.add_all([site, person])
        await session.flush()
        run = ChecklistRun(
            person_id=person.id,
            site_id=site.id,
            checklist_id="supermarket",
            checklist_version=1,
            status="submitted",
            phase="review",
            submitted_at=datetime(2025, 6, 1, 3, tzinfo=UTC),
        )
        session.add(run)
        await session.flush()
        # value_json has no length limit: an old list answer joined into one cell.
        session.add(Answer(run_id=run.id, question_id="legacy", value_json=["x" * 20000] * 3))
        await session.commit()
        path = await export_xlsx(
            session, 2025, tmp_path / "long.xlsx", settings=ReportSettings(timezone=TZ)
        )
    values = [cell.value for cell in cells_of(openpyxl.load_workbook(path))]
    longest = max((value for value in values if isinstance(value, str)), key=len)
    assert len(longest) == EXCEL_CELL_CHARACTERS and longest.endswith("…")
