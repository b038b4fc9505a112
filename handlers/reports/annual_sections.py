"""The annual report's sections I–V and its annex tables (see annual_report):
I the documents every department issued, II the results by task (annual_tasks),
III the indicator table, IV the difficulties and V the recommendations by
department, then the annexes. Departments by name, sites by name, never codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.reports import docx_layout as layout
from handlers.reports.annual_tasks import task_parts
from handlers.reports.answers import answer_text
from handlers.reports.formatting import (
    day_text,
    local_time,
    names_text,
    percent_text,
    target_text,
    value_text,
)
from handlers.reports.workbook import checklist_columns
from handlers.targets import Status, target_years
from storage import kpis as kpi

if TYPE_CHECKING:
    from handlers.reports.annual_report import ReportDraft

# Questions left out of the annex tables (they are in the Excel export).
_ANNEX_SKIPPED_TYPES = ("photo", "location")
_ANNEX_SKIPPED_IDS = ("note",)


def body(draft: ReportDraft, document) -> None:
    year = draft.kpis.scope.year
    draft.paragraph(document, draft.t("rep_doc_intro", year=year))
    draft.paragraph(document, draft.t("rep_doc_draft_note"), italic=True, size=11)
    draft.heading(document, draft.t("rep_doc_s1"))
    _documents(draft, document)
    draft.heading(document, draft.t("rep_doc_s2"))
    for heading, paragraphs in task_parts(draft):
        draft.heading(document, heading, level=2)
        for text in paragraphs:
            draft.paragraph(document, text)
    draft.heading(document, draft.t("rep_doc_s3"))
    _indicator_table(draft, document)
    draft.heading(document, draft.t("rep_doc_s4"))
    _by_department(draft, document, "difficulties", "rep_doc_s4_none")
    _shortcomings(draft, document)
    draft.heading(document, draft.t("rep_doc_s5"))
    _by_department(draft, document, "recommendations", "rep_doc_s5_none")


def document_line(draft: ReportDraft, entry: dict) -> str:
    """'Kế hoạch số 125/KH-SCT ngày 15/03/2026 về ...' from a filed entry."""
    day = entry.get("date") or ""
    if len(day) == 10 and day[4] == "-":  # stored ISO: shown dd/mm/yyyy
        day = f"{day[8:10]}/{day[5:7]}/{day[0:4]}"
    return draft.t(
        "rep_doc_s1_document",
        number=str(entry.get("number", "")),
        date=day,
        title=str(entry.get("title", "")),
    )


def _documents(draft: ReportDraft, document) -> None:
    listed = [(r, r.entries("documents")) for r in draft.filed]
    listed = [(r, entries) for r, entries in listed if entries]
    if not listed:
        draft.paragraph(document, draft.t("rep_doc_s1_none"))
        return
    total = sum(len(entries) for _r, entries in listed)
    draft.paragraph(document, draft.t("rep_doc_s1_intro", count=total, year=draft.kpis.scope.year))
    for report, entries in listed:
        draft.paragraph(document, report.name(draft.language), bold=True, indent=False)
        for entry in entries:
            draft.paragraph(document, "- " + document_line(draft, entry))


def _by_department(draft: ReportDraft, document, question_id: str, none_key: str) -> None:
    """Section IV or V: each department's text under its name."""
    said = [(r, r.text(question_id)) for r in draft.filed if r.text(question_id)]
    if not said:
        draft.paragraph(document, draft.t(none_key))
    for report, text in said:
        line = draft.t("rep_doc_s2_department", department=report.name(draft.language), text=text)
        draft.paragraph(document, "- " + line)


def _shortcomings(draft: ReportDraft, document) -> None:
    """Section IV's facts from the checks: sites never checked, indicators behind."""
    never = draft.kpis.never_checked
    if never:
        names = names_text([site.name for site in never], 20, draft.language)
        text = draft.t("rep_doc_s4_never", count=len(never), names=names)
        draft.paragraph(document, "- " + text)
    behind = [i for i in draft.indicators if i.status == Status.BEHIND]
    if behind:
        listed = "; ".join(draft.t(f"rep_long_{i.id}") for i in behind)
        draft.paragraph(document, "- " + draft.t("rep_doc_s4_behind", indicators=listed))


def _indicator_table(draft: ReportDraft, document) -> None:
    lang, year = draft.language, draft.kpis.scope.year
    years = target_years(draft.indicators)
    headers = [
        draft.t("rep_col_no"),
        draft.t("rep_col_indicator"),
        *(draft.t("rep_col_target", year=y) for y in years),
        draft.t("rep_col_result", year=year),
        draft.t("rep_col_achieved"),
        draft.t("rep_col_source"),
    ]
    rows = []
    for number, indicator in enumerate(draft.indicators, start=1):
        targets = [
            target_text(indicator.target_in(y), indicator.kind, lang)
            if indicator.target_in(y)
            else "—"
            for y in years
        ]
        rows.append(
            [
                str(number),
                draft.t(f"rep_long_{indicator.id}"),
                *targets,
                value_text(indicator, lang),
                percent_text(indicator.achieved, lang),
                draft.t(f"rep_source_{indicator.id}"),
            ]
        )
    # The name gets the room; targets and % are short; the source wraps a little.
    fixed = 1.0 + 1.6 * len(years) + 2.6 + 1.5 + 3.4
    widths = [1.0, layout.TEXT_WIDTH_CM - fixed, *([1.6] * len(years)), 2.6, 1.5, 3.4]
    centred = range(2, 4 + len(years))
    layout.table(document, headers, rows, widths, size_pt=11, centred=(0, *centred))
    # Which checks the figures count ([review] indicators).
    rule = draft.t(f"rv_rule_{draft.kpis.scope.review_rule}")
    draft.paragraph(document, rule, italic=True, indent=False)


def _annex_table(draft: ReportDraft, document, checklist_id: str, checks: list[kpi.CheckRow]):
    if not checks:
        draft.paragraph(document, draft.t("rep_doc_annex_none"), italic=True, indent=False)
        return
    checklist = draft.settings.registry().get(checklist_id)
    answered = frozenset(question_id for check in checks for question_id in check.answers)
    questions = [
        (question_id, question)
        for question_id, question in checklist_columns(checklist, answered)
        if question is None
        or (question.type not in _ANNEX_SKIPPED_TYPES and question.id not in _ANNEX_SKIPPED_IDS)
    ]
    headers = [
        draft.t("rep_col_no"),
        draft.t("rep_col_site_name"),
        draft.t("rep_col_commune"),
        draft.t("rep_col_check_date"),
        *(q.wording(draft.language) if q is not None else qid for qid, q in questions),
    ]
    timezone, lang = draft.settings.timezone, draft.language
    rows = [
        [
            str(number),
            check.site_name,
            check.site_commune or "",
            day_text(local_time(check.submitted_at, timezone)),
            *(answer_text(q, check.answers.get(qid), lang) for qid, q in questions),
        ]
        for number, check in enumerate(checks, start=1)
    ]
    fixed = [1.0, 4.5, 3.0, 2.2]
    rest = max(layout.LANDSCAPE_TEXT_WIDTH_CM - sum(fixed), 1.0) / max(len(questions), 1)
    layout.table(document, headers, rows, fixed + [rest] * len(questions), size_pt=9)


def annexes(draft: ReportDraft, document) -> None:
    year, start = draft.kpis.scope.year, draft.settings.targets.start_year
    draft.heading(document, draft.t("rep_doc_annex1", start=start, year=year))
    _annex_table(draft, document, kpi.CLUSTER_AWARENESS, draft.clusters)
    draft.heading(document, draft.t("rep_doc_annex2", year=year))
    _annex_table(draft, document, kpi.SUPERMARKET, draft.shops)
