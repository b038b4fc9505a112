"""Section II of the annual report, by task of the plan: what the checks say (a text
per task, worded for nothing done too: "chưa có mô hình nào", never "có 0 mô
hình") and what each department reported for the task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.report_forms.form import TASKS, load_form
from handlers.reports.formatting import count_text, percent_text

if TYPE_CHECKING:
    from handlers.report_forms.filed import FiledReport
    from handlers.reports.annual_report import ReportDraft
    from handlers.targets import Indicator


def _target_phrase(draft: ReportDraft, indicator: Indicator) -> str:
    from handlers.reports.formatting import target_text

    if indicator.target is None:
        return "—"
    target = target_text(indicator.target, indicator.kind, draft.language)
    return draft.t("rep_doc_target", target=target, year=indicator.target.year)


def figures_text(draft: ReportDraft, task: str) -> str | None:
    """The checks' figures for one task, or None where the checks measure nothing."""
    lang, k = draft.language, draft.kpis
    year, start = k.scope.year, draft.settings.targets.start_year

    def n(value) -> str:
        return count_text(value, lang)

    if task == "awareness":
        if not k.k1.numerator:
            return draft.t("rep_doc_s2_1_none", start=start, year=year, total=n(k.k1.denominator))
        return draft.t(
            "rep_doc_s2_1_text",
            start=start,
            year=year,
            reached=n(k.k1.numerator),
            total=n(k.k1.denominator),
            percent=percent_text(k.k1.value, lang),
            target=_target_phrase(draft, draft.indicator("k1")),
        )
    if task == "models":
        target = _target_phrase(draft, draft.indicator("k2"))
        key = (
            "rep_doc_s2_2_text"
            if k.k2_applied
            else "rep_doc_s2_2_building"
            if k.k2_building
            else "rep_doc_s2_2_none"
        )
        return draft.t(
            key, year=year, applied=n(k.k2_applied), building=n(k.k2_building), target=target
        )
    if task == "retail":
        return _retail_text(draft)
    if task == "ecolabel":
        if not k.k5_sites:
            return draft.t("rep_doc_s2_4_none")
        return draft.t("rep_doc_s2_4_text", sites=n(k.k5_sites), codes=n(k.k5_product_codes))
    if task == "energy":
        if not k.k6_facilities:
            return draft.t("rep_doc_s2_5_none", year=year)
        return draft.t("rep_doc_s2_5_text", year=year, facilities=n(k.k6_facilities))
    if task == "promotion":
        if not k.k7_events:
            return draft.t("rep_doc_s2_6_none", year=year)
        return draft.t(
            "rep_doc_s2_6_text",
            year=year,
            events=n(k.k7_events),
            products=n(k.k7_eco_products),
            suppliers=n(k.k7_suppliers),
        )
    return None


def _retail_text(draft: ReportDraft) -> str:
    lang, k = draft.language, draft.kpis
    year = k.scope.year
    if not k.coverage.numerator:
        return draft.t(
            "rep_doc_s2_3_none", year=year, total=count_text(k.coverage.denominator, lang)
        )
    bags = (
        draft.t("rep_doc_s2_3_bags", bags=count_text(k.k4_nonbio_bags, lang))
        if k.k4_nonbio_bags
        else draft.t("rep_doc_s2_3_no_bags")
    )
    full = (
        draft.t("rep_doc_s2_3_full", full=count_text(k.k3.numerator, lang))
        if k.k3.numerator
        else draft.t("rep_doc_s2_3_no_full")
    )
    return draft.t(
        "rep_doc_s2_3_text",
        year=year,
        checked=count_text(k.coverage.numerator, lang),
        total=count_text(k.coverage.denominator, lang),
        coverage=percent_text(k.coverage.value, lang),
        full=full,
        k3=percent_text(k.k3.value, lang),
        target=_target_phrase(draft, draft.indicator("k3")),
        bags=bags,
    )


def reported(draft: ReportDraft, report: FiledReport, task: str) -> str | None:
    """What one department reported for a task: its narrative, then its counts."""
    form = load_form()
    narrative, counts = [], []
    for question in form.for_department(report.department_code):
        if question.task != task:
            continue
        if question.type in ("text", "long_text") and report.text(question.id):
            narrative.append(report.text(question.id))
        elif question.type == "integer" and report.number(question.id) is not None:
            value = count_text(report.number(question.id), draft.language)
            counts.append(f"{value} {question.unit_in(draft.language)}".strip())
    if not narrative and not counts:
        return None
    text = " ".join(narrative)
    if counts:
        figures = draft.t("rep_doc_s2_counts", counts=", ".join(counts))
        text = f"{text} {figures}".strip()
    return draft.t("rep_doc_s2_department", department=report.name(draft.language), text=text)


def task_parts(draft: ReportDraft) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) per task with something to say, numbered in order."""
    parts = []
    for task in TASKS:
        paragraphs = [p for p in [figures_text(draft, task)] if p]
        paragraphs += [p for r in draft.filed if (p := reported(draft, r, task))]
        if paragraphs:
            heading = draft.t(f"rep_doc_task_{task}")
            parts.append((f"{len(parts) + 1}. {heading}", paragraphs))
    return parts
