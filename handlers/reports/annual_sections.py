"""The annual report's sections I–V and its annex tables (see annual_report)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers.reports.answers import answer_text
from handlers.reports.formatting import (
    count_text,
    day_text,
    local_time,
    names_text,
    percent_text,
    target_text,
    value_text,
)
from handlers.reports.summary import report_groups
from handlers.reports.workbook import checklist_columns
from handlers.targets import Indicator, Status, target_years
from storage import kpis as kpi

if TYPE_CHECKING:
    from handlers.reports.annual_report import ReportDraft

# Questions left out of the annex tables (they are in the Excel export).
_ANNEX_SKIPPED_TYPES = ("photo", "location")
_ANNEX_SKIPPED_IDS = ("note",)


def body(draft: ReportDraft, document) -> None:
    document.add_heading(draft.t("rep_doc_s1"), level=1)
    draft.paragraph(document, draft.t("rep_doc_s1_fill"), italic=True)
    _report_confirmations(draft, document)
    document.add_heading(draft.t("rep_doc_s2"), level=1)
    for heading, text, values in _results(draft) + _activities(draft):
        document.add_heading(draft.t(heading), level=2)
        draft.paragraph(document, draft.t(text, **values), align=draft.justify)
    document.add_heading(draft.t("rep_doc_s3"), level=1)
    _indicator_table(draft, document)
    document.add_heading(draft.t("rep_doc_s4"), level=1)
    draft.paragraph(document, draft.t("rep_doc_s4_fill"), italic=True)
    _shortcomings(draft, document)
    document.add_heading(draft.t("rep_doc_s5"), level=1)
    draft.paragraph(document, draft.t("rep_doc_s5_fill"), italic=True)


def _report_confirmations(draft: ReportDraft, document) -> None:
    """Section I: which departments confirmed their part of the annual report."""
    for group in report_groups(draft.kpis):
        done = [r for r in group if r.confirmed]
        title = group[0].title_vi if draft.language == "vi" else group[0].title_en
        due = day_text(group[0].due)
        text = draft.t("rep_doc_s1_reports", title=title, due=due, done=len(done), total=len(group))
        draft.paragraph(document, text, align=draft.justify)
        for report in group:
            if report.confirmed:
                text = draft.t(
                    "rep_doc_s1_confirmed",
                    department=report.department_code,
                    date=day_text(local_time(report.confirmed_at, draft.settings.timezone)),
                    person=report.confirmed_by or "",
                )
            else:
                text = draft.t("rep_doc_s1_pending", department=report.department_code)
            document.add_paragraph(text, style="List Bullet")


def _target_phrase(draft: ReportDraft, indicator: Indicator) -> str:
    if indicator.target is None:
        return "—"
    target = target_text(indicator.target, indicator.kind, draft.language)
    return draft.t("rep_doc_target", target=target, year=indicator.target.year)


def _results(draft: ReportDraft) -> list[tuple[str, str, dict[str, Any]]]:
    """Section II, parts 1–3 (clusters, models, supermarkets): (heading key, text
    key, values) per part of the plan."""
    lang, figures = draft.language, draft.kpis
    year, start = figures.scope.year, draft.settings.targets.start_year

    def n(value) -> str:
        return count_text(value, lang)

    def share(value) -> str:
        return percent_text(value, lang)

    k1, k2, k3 = (_target_phrase(draft, draft.indicator(i)) for i in ("k1", "k2", "k3"))
    return [
        (
            "rep_doc_s2_1",
            "rep_doc_s2_1_text",
            {
                "start": start,
                "year": year,
                "reached": n(figures.k1.numerator),
                "total": n(figures.k1.denominator),
                "percent": share(figures.k1.value),
                "target": k1,
            },
        ),
        (
            "rep_doc_s2_2",
            "rep_doc_s2_2_text",
            {
                "year": year,
                "applied": n(figures.k2_applied),
                "building": n(figures.k2_building),
                "target": k2,
            },
        ),
        (
            "rep_doc_s2_3",
            "rep_doc_s2_3_text",
            {
                "year": year,
                "checked": n(figures.coverage.numerator),
                "total": n(figures.coverage.denominator),
                "coverage": share(figures.coverage.value),
                "full": n(figures.k3.numerator),
                "k3": share(figures.k3.value),
                "target": k3,
                "bags": n(figures.k4_nonbio_bags),
            },
        ),
    ]


def _activities(draft: ReportDraft) -> list[tuple[str, str, dict[str, Any]]]:
    """Section II, parts 4–6: eco labels, energy efficiency, trade promotion."""
    figures, year = draft.kpis, draft.kpis.scope.year

    def n(value) -> str:
        return count_text(value, draft.language)

    return [
        (
            "rep_doc_s2_4",
            "rep_doc_s2_4_text",
            {"sites": n(figures.k5_sites), "codes": n(figures.k5_product_codes)},
        ),
        (
            "rep_doc_s2_5",
            "rep_doc_s2_5_text",
            {"year": year, "facilities": n(figures.k6_facilities)},
        ),
        (
            "rep_doc_s2_6",
            "rep_doc_s2_6_text",
            {
                "year": year,
                "events": n(figures.k7_events),
                "products": n(figures.k7_eco_products),
                "suppliers": n(figures.k7_suppliers),
            },
        ),
    ]


def _shortcomings(draft: ReportDraft, document) -> None:
    """Section IV's facts: sites never checked, indicators behind their line."""
    never = draft.kpis.never_checked
    if never:
        names = names_text([site.name for site in never], 20, draft.language)
        text = draft.t("rep_doc_s4_never", count=len(never), names=names)
        draft.paragraph(document, text, align=draft.justify)
    behind = [i for i in draft.indicators if i.status == Status.BEHIND]
    if behind:
        listed = "; ".join(draft.t(f"rep_long_{i.id}") for i in behind)
        text = draft.t("rep_doc_s4_behind", indicators=listed)
        draft.paragraph(document, text, align=draft.justify)


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
        label = draft.t(f"rep_long_{indicator.id}")
        if indicator.id != "coverage":
            label = f"{indicator.id.upper()}. {label}"
        rows.append(
            [
                str(number),
                label,
                *targets,
                value_text(indicator, lang),
                percent_text(indicator.achieved, lang),
                draft.t(f"rep_source_{indicator.id}"),
            ]
        )
    draft.table(document, headers, rows, size=10)


def _annex_table(draft: ReportDraft, document, checklist_id: str, checks: list[kpi.CheckRow]):
    if not checks:
        draft.paragraph(document, draft.t("rep_doc_annex_none"), italic=True)
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
    rows = [
        [
            str(number),
            f"{check.site_name} ({check.site_code})",
            check.site_commune or "",
            day_text(local_time(check.submitted_at, draft.settings.timezone)),
            *(answer_text(q, check.answers.get(qid), draft.language) for qid, q in questions),
        ]
        for number, check in enumerate(checks, start=1)
    ]
    draft.table(document, headers, rows, size=8)


def annexes(draft: ReportDraft, document) -> None:
    year, start = draft.kpis.scope.year, draft.settings.targets.start_year
    document.add_heading(draft.t("rep_doc_annex1", start=start, year=year), level=1)
    _annex_table(draft, document, kpi.CLUSTER_AWARENESS, draft.clusters)
    document.add_heading(draft.t("rep_doc_annex2", year=year), level=1)
    _annex_table(draft, document, kpi.SUPERMARKET, draft.shops)
