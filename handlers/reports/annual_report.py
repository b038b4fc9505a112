"""/report: the Department's annual report draft (Word), sections I–V of domain.md
with the indicator table, and annexes of the clusters reached and the supermarkets
and trade centres checked (latest check) with their answers.

python-docx is imported when a document is written, not at import."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handlers.catalog import t
from handlers.reports.figures import ReportSettings, YearFigures, year_figures
from handlers.reports.formatting import day_text, file_text
from handlers.targets import Indicator
from storage import kpis as kpi
from storage.kpis.keys import AWARE

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession


async def report_docx(
    session: AsyncSession,
    year: int,
    path: Path,
    *,
    settings: ReportSettings | None = None,
    language: str = "vi",
    today: date | None = None,
) -> Path:
    """The annual report draft for a year, written in a worker thread."""
    settings = settings or ReportSettings()
    today = today or settings.today()
    figures = await year_figures(session, year, settings, today)
    scope = figures.kpis.scope
    clusters = await kpi.latest_checks(
        session,
        scope,
        kpi.CLUSTER_AWARENESS,
        [kpi.CLUSTER_KIND],
        cumulative=True,
        require=(AWARE, "yes"),
    )
    shops = await kpi.latest_checks(session, scope, kpi.SUPERMARKET, kpi.RETAIL_KINDS)
    draft = ReportDraft(figures, clusters, shops, settings, language, today)
    return await asyncio.to_thread(draft.write, Path(path))


@dataclass
class ReportDraft:
    figures: YearFigures
    clusters: list[kpi.CheckRow]
    shops: list[kpi.CheckRow]
    settings: ReportSettings
    language: str
    today: date

    def t(self, key: str, **values: Any) -> str:
        # Values may be names or titles from the database: cleaned like every text here.
        return file_text(t(self.language, key, **values))

    @property
    def kpis(self) -> kpi.Kpis:
        return self.figures.kpis

    @property
    def indicators(self) -> list[Indicator]:
        return self.figures.indicators

    def indicator(self, id_: str) -> Indicator:
        return next(i for i in self.indicators if i.id == id_)

    def write(self, path: Path) -> Path:
        from docx import Document
        from docx.enum.section import WD_ORIENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Pt, RGBColor

        from handlers.reports import annual_sections as sections

        self._centre = WD_ALIGN_PARAGRAPH.CENTER
        self._right = WD_ALIGN_PARAGRAPH.RIGHT
        self.justify = WD_ALIGN_PARAGRAPH.JUSTIFY
        self.pt = Pt
        document = Document()
        for name, size in (("Normal", 13), ("Heading 1", 13), ("Heading 2", 13)):
            style = document.styles[name]
            style.font.name = "Times New Roman"
            style.font.size = Pt(size)
            style.font.color.rgb = RGBColor(0, 0, 0)
        section = document.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)

        self._letterhead(document)
        sections.body(self, document)
        self._signature(document)
        annex = document.add_section()
        annex.orientation = WD_ORIENT.LANDSCAPE
        annex.page_width, annex.page_height = Cm(29.7), Cm(21)
        annex.left_margin = annex.right_margin = Cm(1.5)
        sections.annexes(self, document)
        path.parent.mkdir(parents=True, exist_ok=True)
        document.save(str(path))
        return path

    def paragraph(
        self, document, text: str, *, bold=False, italic=False, align=None, size: int | None = None
    ):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(file_text(text))
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = self.pt(size)
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def table(self, document, headers: list[str], rows: list[list[str]], size: int = 11):
        table = document.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run(file_text(header))
            run.bold = True
            run.font.size = self.pt(size)
            cell.paragraphs[0].alignment = self._centre
        for values in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values, strict=True):
                cell.text = ""
                run = cell.paragraphs[0].add_run(file_text(value))
                run.font.size = self.pt(size)
        return table

    def _cell_lines(self, cell, lines: list[tuple[str, bool]]) -> None:
        cell.text = ""
        for number, (text, bold) in enumerate(lines):
            paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
            run = paragraph.add_run(text)
            run.bold = bold
            run.font.size = self.pt(12)
            paragraph.alignment = self._centre

    def _letterhead(self, document) -> None:
        left, right = document.add_table(rows=1, cols=2).rows[0].cells
        parent, agency = self.t("rep_doc_parent"), self.t("rep_doc_agency")
        self._cell_lines(left, [(parent, False), (agency, True), (self.t("rep_doc_number"), False)])
        self._cell_lines(right, [(self.t("rep_doc_nation"), True), (self.t("rep_doc_motto"), True)])
        today = self.today
        place_date = self.t(
            "rep_doc_place_date",
            day=f"{today.day:02d}",
            month=f"{today.month:02d}",
            year=today.year,
        )
        self.paragraph(document, place_date, italic=True, align=self._right)
        year = self.kpis.scope.year
        self.paragraph(document, self.t("rep_doc_title"), bold=True, align=self._centre, size=14)
        self.paragraph(
            document, self.t("rep_doc_subtitle", year=year), bold=True, align=self._centre
        )
        self.paragraph(
            document,
            self.t("rep_doc_draft", date=day_text(today), as_of=day_text(self.figures.as_of)),
            italic=True,
            align=self._centre,
            size=11,
        )
        self.paragraph(document, self.t("rep_doc_to"), align=self._centre)

    def _signature(self, document) -> None:
        left, right = document.add_table(rows=1, cols=2).rows[0].cells
        left.text = ""
        run = left.paragraphs[0].add_run(self.t("rep_doc_recipients"))
        run.bold, run.italic = True, True
        run.font.size = self.pt(11)
        note = left.add_paragraph().add_run(self.t("rep_doc_recipient_lines"))
        note.font.size = self.pt(11)
        right.text = ""
        run = right.paragraphs[0].add_run(self.t("rep_doc_signature"))
        run.bold = True
        right.paragraphs[0].alignment = self._centre
