"""Phiếu kiểm tra: the table of submitted checks (filters, sorting, paging, XLSX of the
filtered rows) and one check's page (every answer, its photos, its point on a map)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from starlette.responses import FileResponse, Response

from bot.web.app import Ctx
from bot.web.pages import review
from storage import review as review_store
from storage import web as web_store
from storage.models import DEPARTMENTS, REVIEW_STATES


def _day(text: str | None) -> date | None:
    """dd/mm/yyyy (as people type it) or yyyy-mm-dd (a date input); else None."""
    text = (text or "").strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def wanted_from(query) -> web_store.CheckFilter:
    sort = query.get("sort", "-submitted")
    if sort.lstrip("-") not in web_store.SORTS:
        sort = "-submitted"
    return web_store.CheckFilter(
        checklist=query.get("checklist", "").strip(),
        site=query.get("site", "").strip()[:100],
        commune=query.get("commune", "").strip(),
        department=query.get("department", "").strip(),
        inspector=_number(query.get("inspector")),
        date_from=_day(query.get("from")),
        date_to=_day(query.get("to")),
        review=query.get("review", "") if query.get("review") in REVIEW_STATES else "",
        sort=sort,
        page=max(_number(query.get("page")) or 1, 1),
    )


def _query_without(query, *names: str) -> str:
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in query.multi_items() if k not in names and v and k != "lang"]
    return urlencode(kept)


async def checks_page(ctx: Ctx) -> Response:
    wanted = wanted_from(ctx.request.query_params)
    timezone = ctx.console.config.timezone
    rows, total = await web_store.find_checks(ctx.db, ctx.who.viewer, wanted, timezone)
    states = await review_store.states_of(ctx.db, [row.run_id for row in rows])
    registry = ctx.console.report_settings().registry()
    pages = max((total + web_store.PAGE_SIZE - 1) // web_store.PAGE_SIZE, 1)
    return ctx.render(
        "checks.html",
        partial="checks_table.html",
        rows=rows,
        total=total,
        wanted=wanted,
        pages=pages,
        checklists=list(registry.by_id.values()),
        departments=[code for code, _vi, _en in DEPARTMENTS],
        choices=await web_store.filter_choices(ctx.db, ctx.who.viewer),
        base_query=_query_without(ctx.request.query_params, "page", "sort"),
        page_query=_query_without(ctx.request.query_params, "page"),
        states=states,
        review_states=REVIEW_STATES,
    )


def _outline(checks) -> dict:
    """Per checklist: how many rows, whether they have sites, which questions were answered
    (what the workbook writer lays its sheets out by)."""
    from storage.kpis import ChecklistOutline

    grouped: dict[str, list] = {}
    for check in checks:
        grouped.setdefault(check.checklist_id, []).append(check)
    return {
        checklist_id: ChecklistOutline(
            len(rows),
            any(row.site_code for row in rows),
            frozenset(question for row in rows for question in row.answers),
        )
        for checklist_id, rows in grouped.items()
    }


async def checks_xlsx(ctx: Ctx) -> Response:
    """The filtered rows (all pages) in the workbook /export writes (the same writer)."""
    from handlers.reports import ExportData, fresh_path, write_xlsx
    from handlers.reports.review_sheet import ReviewData

    settings = ctx.console.report_settings()
    wanted = replace(wanted_from(ctx.request.query_params), page=1)
    checks, _total = await web_store.find_checks(
        ctx.db, ctx.who.viewer, wanted, settings.timezone, paged=False
    )
    year = (wanted.date_from or wanted.date_to or datetime.now(settings.timezone).date()).year

    def batches(checklist_id: str):
        yield [check for check in checks if check.checklist_id == checklist_id]

    # Only the checks sheets: the sites and indicator sheets are the whole year's, not the filter's.
    data = ExportData(
        year,
        ctx.language,
        settings.timezone,
        _outline(checks),
        [],
        [],
        settings.registry(),
        batches,
        # Each row's review state (the last column), as /export has it.
        review=ReviewData(
            settings.review_rule,
            await review_store.states_of(ctx.db, [check.run_id for check in checks]),
        ),
    )
    name = f"Phieu-kiem-tra-{datetime.now(settings.timezone):%Y%m%d-%H%M}.xlsx"
    detail = f"checks={len(checks)} {_query_without(ctx.request.query_params)}"
    await ctx.record_access("export", detail)
    path = await asyncio.to_thread(write_xlsx, data, fresh_path(settings.out_dir, name))
    return FileResponse(path, filename=name, headers={"Cache-Control": "no-store"})


async def check_detail(ctx: Ctx) -> Response:
    check = await web_store.check_visible(ctx.db, ctx.who.viewer, ctx.request.path_params["run_id"])
    if check is None:
        return ctx.not_found()
    checklist = ctx.console.report_settings().registry().get(check.checklist_id)
    await ctx.record_access("check_view", f"check={check.run_id}")
    decided = ctx.request.query_params.get("decided", "")
    notice = decided if decided in review.ACTIONS.values() else ""
    return _detail(ctx, check, checklist, await review.panel(ctx, check, checklist, notice))


async def review_check(ctx: Ctx) -> Response:
    """Approve, send back or reject from the check's page (bot/web/pages/review.py)."""
    check = await web_store.check_visible(ctx.db, ctx.who.viewer, ctx.request.path_params["run_id"])
    if check is None:
        return ctx.not_found()
    checklist = ctx.console.report_settings().registry().get(check.checklist_id)
    outcome = await review.decide(ctx, check, checklist)
    if isinstance(outcome, Response):
        return outcome
    return _detail(ctx, check, checklist, outcome, review.STATUS.get(outcome.notice, 200))


def _detail(ctx: Ctx, check, checklist, panel, status_code: int = 200) -> Response:
    from handlers.reports import answer_text

    questions = list(checklist.questions) if checklist else []
    known = {question.id for question in questions}
    lines, photos, point = [], [], None
    for question in questions:
        answer = check.answers.get(question.id)
        if answer is None:
            continue
        wording = question.text.get(ctx.language) or question.text["vi"]
        if question.type == "photo" and answer.value_text:
            photos.append((wording, question.id))
            continue
        if question.type == "location" and isinstance(answer.value_json, dict):
            point = answer.value_json
        lines.append((wording, answer_text(question, answer, ctx.language)))
    for question_id, answer in check.answers.items():
        if question_id not in known:  # a question removed from the checklist since
            lines.append((question_id, answer_text(None, answer, ctx.language)))
    return ctx.render(
        "check_detail.html",
        status_code,
        check=check,
        title=checklist.title_in(ctx.language) if checklist else check.checklist_id,
        lines=lines,
        photos=photos,
        point=point,
        tile_url=ctx.console.config.get("web", "tile_url"),
        review=panel,
    )


async def check_photo(ctx: Ctx) -> Response:
    run_id = ctx.request.path_params["run_id"]
    check = await web_store.check_visible(ctx.db, ctx.who.viewer, run_id)
    answer = check.answers.get(ctx.request.path_params["question_id"]) if check else None
    if answer is None or not answer.value_text:
        return ctx.not_found()
    media = ctx.console.config.media_dir.resolve()
    path = Path(answer.value_text).resolve()
    # Only files the bot saved under the media folder, whatever the row says.
    if not path.is_relative_to(media) or not path.is_file():
        return ctx.not_found()
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private"})
