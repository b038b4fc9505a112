"""Cơ sở: add, correct and close sites, and import a CSV with the command line's
all-or-nothing checks (storage.sites: the same parser, the same upsert)."""

from __future__ import annotations

import csv
import io

from sqlmodel import select
from starlette.responses import RedirectResponse, Response

from bot.web.app import Ctx
from storage import corrections, runs
from storage import sites as site_store
from storage.models import SITE_KINDS, SITE_STATUSES, ProposedSite, Site

FIELDS = (*site_store.REQUIRED_COLUMNS, *site_store.OPTIONAL_COLUMNS)
MAX_CSV_BYTES = 5_000_000


def as_csv(values: dict[str, str]) -> str:
    """One form as a one-row CSV, so the form and the file are checked by one parser."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    writer.writerow([values.get(name, "").strip() for name in FIELDS])
    return out.getvalue()


def form_values(site: Site | None) -> dict[str, str]:
    if site is None:
        return {"status": "operating"}
    values = {name: str(getattr(site, name) or "") for name in site_store.REQUIRED_COLUMNS}
    values["lat"] = "" if site.latitude is None else f"{site.latitude:g}"
    values["lon"] = "" if site.longitude is None else f"{site.longitude:g}"
    return values


async def proposals_waiting(ctx: Ctx) -> list[tuple[ProposedSite, str, str]]:
    """The proposals waiting, with the proposer's name and the checklist's title."""
    proposals = await runs.proposed_sites(ctx.db)
    names = await corrections.people_named(ctx.db, {p.person_id for p in proposals})
    registry = ctx.console.report_settings().registry()
    shown = []
    for proposal in proposals:
        checklist = registry.get(proposal.checklist_id)
        title = checklist.title_in(ctx.language) if checklist else proposal.checklist_id
        shown.append((proposal, names.get(proposal.person_id, "?"), title))
    return shown


async def _listing(ctx: Ctx, status_code: int = 200, **values) -> Response:
    kind = ctx.request.query_params.get("kind", "")
    sites = await site_store.list_sites(ctx.db, kind if kind in SITE_KINDS else None)
    return ctx.render(
        "sites.html",
        status_code,
        sites=sites,
        kinds=SITE_KINDS,
        statuses=SITE_STATUSES,
        kind=kind,
        form=values.pop("form", form_values(None)),
        proposals=await proposals_waiting(ctx),
        **values,
    )


async def sites_page(ctx: Ctx) -> Response:
    query = ctx.request.query_params
    return await _listing(ctx, done=query.get("done", ""), declined=query.get("declined", ""))


async def _save(ctx: Ctx, values: dict[str, str], template: str, site: Site | None) -> Response:
    rows, errors = site_store.parse_sites_csv(as_csv(values))
    if site is not None and rows and rows[0]["code"] != site.code:
        errors = errors + ["code"]
    if errors:
        shown = [error.split(": ", 1)[-1] for error in errors]
        if site is None:
            return await _listing(ctx, 422, form=values, errors=shown)
        return ctx.render(template, 422, site=site, form=values, errors=shown, **choices())
    await site_store.import_sites(ctx.db, rows)
    await ctx.db.commit()
    return RedirectResponse(f"/sites?done={rows[0]['code']}", status_code=303)


def choices() -> dict:
    return {"kinds": SITE_KINDS, "statuses": SITE_STATUSES}


async def add_site(ctx: Ctx) -> Response:
    form = ctx.request.state.form
    values = {name: str(form.get(name, "")) for name in FIELDS}
    existing = (await ctx.db.exec(select(Site).where(Site.code == values["code"].strip()))).first()
    if existing is not None:
        return await _listing(ctx, 422, form=values, errors=[f"code {values['code']!r}"])
    return await _save(ctx, values, "sites.html", None)


async def _site(ctx: Ctx) -> Site | None:
    code = ctx.request.path_params["code"]
    return (await ctx.db.exec(select(Site).where(Site.code == code))).first()


async def edit_site_page(ctx: Ctx) -> Response:
    site = await _site(ctx)
    if site is None:
        return ctx.not_found()
    return ctx.render("site_form.html", site=site, form=form_values(site), errors=[], **choices())


async def edit_site(ctx: Ctx) -> Response:
    site = await _site(ctx)
    if site is None:
        return ctx.not_found()
    form = ctx.request.state.form
    values = {name: str(form.get(name, "")) for name in FIELDS}
    values["code"] = site.code  # the code is the key the CSV and the checks use
    return await _save(ctx, values, "site_form.html", site)


async def close_site(ctx: Ctx) -> Response:
    site = await _site(ctx)
    if site is None:
        return ctx.not_found()
    site.status = "closed"
    ctx.db.add(site)
    await ctx.db.commit()
    return RedirectResponse(f"/sites?done={site.code}", status_code=303)


async def import_csv(ctx: Ctx) -> Response:
    upload = ctx.request.state.form.get("file")
    raw = await upload.read(MAX_CSV_BYTES + 1) if upload is not None and upload != "" else b""
    if not raw or len(raw) > MAX_CSV_BYTES:
        return await _listing(ctx, 422, import_problem="empty_or_large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return await _listing(ctx, 422, import_problem="not_utf8")
    rows, errors = site_store.parse_sites_csv(text)
    if errors:
        # All or nothing, as `fieldbot sites import`: nothing is written.
        return await _listing(ctx, 422, import_errors=errors)
    created, updated, unchanged = await site_store.import_sites(ctx.db, rows)
    await ctx.db.commit()
    return await _listing(ctx, imported=(created, updated, unchanged))
