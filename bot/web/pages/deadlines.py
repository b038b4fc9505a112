"""Hạn báo cáo: the deadlines, their reminder history and confirmations, and the
annual report draft (the DOCX /report sends)."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import FileResponse, Response

from bot.web.app import Ctx
from storage import web as web_store


async def deadlines_page(ctx: Ctx) -> Response:
    from bot.web.pages.overview import _year
    from handlers.reminders import due_date
    from storage.reminders import active_deadlines

    today = datetime.now(ctx.console.config.timezone).date()
    year = _year(ctx, today)
    person = ctx.who.person
    department = person.department_code if person.role == "head" else None
    deadlines = [(d, due_date(d, year)) for d in await active_deadlines(ctx.db)]
    if department:
        deadlines = [
            (d, due) for d, due in deadlines if not d.departments or department in d.departments
        ]
    confirmed = {
        (c.deadline_id, c.department_code): c for c in await web_store.confirmations(ctx.db, year)
    }
    return ctx.render(
        "deadlines.html",
        year=year,
        deadlines=deadlines,
        confirmed=confirmed,
        history=await web_store.reminder_history(ctx.db, department),
    )


async def report_docx(ctx: Ctx) -> Response:
    from bot.web.pages.overview import _year
    from handlers.reports import fresh_path, report_docx

    settings = ctx.console.report_settings()
    year = _year(ctx, datetime.now(settings.timezone).date())
    name = f"Bao-cao-SXTDBV-{year}.docx"
    await ctx.record_access("report", f"year={year}")
    path = await report_docx(
        ctx.db, year, fresh_path(settings.out_dir, name), settings=settings, language=ctx.language
    )
    return FileResponse(path, filename=name, headers={"Cache-Control": "no-store"})
