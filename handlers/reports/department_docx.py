"""A department's own annual report to KTATMT as a Word file, in the same official
layout as the Department's report (handlers.reports.docx_layout): documents issued,
results by task (the answers with their figures), budget, difficulties,
recommendations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from handlers.report_forms.filed import FiledReport
from handlers.report_forms.form import load_form
from handlers.reports import docx_layout as layout
from handlers.reports.annual_report import Letters
from handlers.reports.annual_sections import document_line
from handlers.reports.formatting import count_text


@dataclass
class DepartmentDraft(Letters):
    report: FiledReport
    language: str
    today: date

    def write(self, path: Path) -> Path:
        report, lang = self.report, self.language
        document = layout.new_document()
        self.letterhead(
            document, self.t("rep_doc_agency"), report.name(lang).upper(), self.t("dr_doc_number")
        )
        title = self.t("rep_doc_title")
        subtitle = self.t("dr_doc_subtitle", year=report.year)
        self.title_block(document, title, subtitle, self.t("dr_doc_to"))
        self.heading(document, self.t("dr_doc_s1"))
        entries = report.entries("documents")
        for entry in entries:
            self.paragraph(document, "- " + document_line(self, entry))
        if not entries:
            self.paragraph(document, self.t("dr_doc_none"))
        self.heading(document, self.t("dr_doc_s2"))
        self._results(document)
        for key, question_id in (("dr_doc_s3", "budget"), ("dr_doc_s4", "difficulties")):
            self.heading(document, self.t(key))
            self.paragraph(document, report.text(question_id) or self.t("dr_doc_none"))
        self.heading(document, self.t("dr_doc_s5"))
        self.paragraph(document, report.text("recommendations") or self.t("dr_doc_none"))
        self.signature(document, self.t("dr_doc_recipients"), self.t("dr_doc_signature"))
        path.parent.mkdir(parents=True, exist_ok=True)
        layout.save(document, path)
        return path

    def _results(self, document) -> None:
        """Each task question with its answer: the narrative as written, then the
        counts."""
        report, lang = self.report, self.language
        for question in load_form().for_department(report.department_code):
            if question.task is None:
                continue
            if question.type == "integer":
                value = report.number(question.id)
                if value is not None:
                    line = f"- {question.wording(lang)}: {count_text(value, lang)}."
                    self.paragraph(document, line)
            elif report.text(question.id):
                self.paragraph(document, question.wording(lang), bold=True, indent=False)
                for part in report.text(question.id).split("\n"):
                    self.paragraph(document, part)


async def department_docx(report: FiledReport, path: Path, language: str, today: date) -> Path:
    draft = DepartmentDraft(report, language, today)
    return await asyncio.to_thread(draft.write, Path(path))
