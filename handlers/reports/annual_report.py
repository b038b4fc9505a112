"""/report: the Department's annual report (Word), sections I–V of domain.md from
the departments' own reports (handlers/report_forms) and the figures from the
checks, with the indicator table and annexes of the clusters reached and the
supermarkets and trade centres checked (latest check) with their answers.

The layout (Decree 30/2020) is handlers.reports.docx_layout; python-docx is
imported when a document is written, not at import."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handlers.catalog import t
from handlers.report_forms.filed import FiledReport
from handlers.reports import docx_layout as layout
from handlers.reports.figures import ReportSettings, YearFigures, year_figures
from handlers.reports.formatting import file_text
from handlers.targets import Indicator
from storage import kpis as kpi
from storage.kpis.keys import AWARE

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

# The letterhead's columns (cm): the agency on the left, the national motto right.
_LEFT_CM, _RIGHT_CM = 6.3, layout.TEXT_WIDTH_CM - 6.3


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
    from storage.dept_reports import filed_reports

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
    filed = await filed_reports(session, year)
    draft = ReportDraft(figures, clusters, shops, settings, language, today, filed)
    return await asyncio.to_thread(draft.write, Path(path))


class Letters:
    """What every Word file here shares: texts from the catalog cleaned for a file,
    paragraphs, tables, the letterhead and the signature block."""

    language: str
    today: date

    def t(self, key: str, **values: Any) -> str:
        # Values may be names or titles from the database: cleaned like every text here.
        return file_text(t(self.language, key, **values))

    def paragraph(
        self,
        document,
        text: str,
        *,
        bold=False,
        italic=False,
        align: str | None = "justify",
        size: int | None = None,
        indent: bool = True,
        style: str | None = None,
    ):
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Pt

        paragraph = document.add_paragraph(style=style)
        run = paragraph.add_run(file_text(text))
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
        if align is not None:
            paragraph.alignment = getattr(WD_ALIGN_PARAGRAPH, align.upper())
        if indent and align == "justify" and style is None:
            paragraph.paragraph_format.first_line_indent = Cm(1)
        return paragraph

    def heading(self, document, text: str, level: int = 1):
        return document.add_heading(file_text(text), level=level)

    def _cell_lines(self, cell, lines: list[tuple[str, bool, bool, int]]) -> None:
        """Centred lines in a cell: (text, bold, italic, size in points)."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        for number, (text, bold, italic, size) in enumerate(lines):
            paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(0)
            run = paragraph.add_run(file_text(text))
            run.bold, run.italic = bold, italic
            run.font.size = Pt(size)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def letterhead(self, document, parent: str, agency: str, number: str) -> None:
        """Agency and number on the left, the motto and the place and date on the
        right (Decree 30, annex I), each top line on one line with a rule under it."""
        table = document.add_table(rows=2, cols=2)
        layout.fix_widths(table, (_LEFT_CM, _RIGHT_CM))
        (left, right), (below_left, below_right) = (r.cells for r in table.rows)
        self._cell_lines(left, [(parent, False, False, 12), (agency, True, False, 12)])
        layout.rule(left, 2.2, _LEFT_CM)
        nation, motto = self.t("rep_doc_nation"), self.t("rep_doc_motto")
        self._cell_lines(right, [(nation, True, False, 12), (motto, True, False, 13)])
        layout.rule(right, 5.8, _RIGHT_CM)
        self._cell_lines(below_left, [(number, False, False, 13)])
        day = self.today
        place = self.t(
            "rep_doc_place_date", day=f"{day.day:02d}", month=f"{day.month:02d}", year=day.year
        )
        self._cell_lines(below_right, [(place, False, True, 13)])

    def title_block(self, document, title: str, subtitle: str, to: str) -> None:
        self.paragraph(document, "", align=None, indent=False)
        self.paragraph(document, title, bold=True, align="center", size=14)
        self.paragraph(document, subtitle, bold=True, align="center")
        self.paragraph(document, to, align="center")

    def signature(self, document, recipients: str, signer: str) -> None:
        from docx.shared import Pt

        table = document.add_table(rows=1, cols=2)
        layout.fix_widths(table, (_LEFT_CM + 1.5, _RIGHT_CM - 1.5))
        left, right = table.rows[0].cells
        run = left.paragraphs[0].add_run(self.t("rep_doc_recipients"))
        run.bold, run.italic = True, True
        run.font.size = Pt(12)
        note = left.add_paragraph().add_run(recipients)
        note.font.size = Pt(11)
        self._cell_lines(right, [(signer, True, False, 13)])


@dataclass
class ReportDraft(Letters):
    figures: YearFigures
    clusters: list[kpi.CheckRow]
    shops: list[kpi.CheckRow]
    settings: ReportSettings
    language: str
    today: date
    filed: list[FiledReport]

    @property
    def kpis(self) -> kpi.Kpis:
        return self.figures.kpis

    @property
    def indicators(self) -> list[Indicator]:
        return self.figures.indicators

    def indicator(self, id_: str) -> Indicator:
        return next(i for i in self.indicators if i.id == id_)

    def write(self, path: Path) -> Path:
        from handlers.reports import annual_sections as sections

        document = layout.new_document()
        self.letterhead(
            document, self.t("rep_doc_parent"), self.t("rep_doc_agency"), self.t("rep_doc_number")
        )
        year = self.kpis.scope.year
        self.title_block(
            document,
            self.t("rep_doc_title"),
            self.t("rep_doc_subtitle", year=year),
            self.t("rep_doc_to"),
        )
        sections.body(self, document)
        self.signature(document, self.t("rep_doc_recipient_lines"), self.t("rep_doc_signature"))
        annex = document.add_section()
        layout.page(annex, landscape=True)
        annex.different_first_page_header_footer = False
        sections.annexes(self, document)
        path.parent.mkdir(parents=True, exist_ok=True)
        layout.save(document, path)
        return path
