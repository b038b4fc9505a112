"""Sites inspectors proposed in the chat ("Không tìm thấy? Báo cơ sở mới"): the Cơ sở
page lists those waiting; an admin adds one (the add form's checks: the CSV parser and
a free code) or declines it, and the proposer is told in the chat (the outbox)."""

from __future__ import annotations

from sqlmodel import select
from starlette.responses import RedirectResponse, Response

from bot.web.app import Ctx
from bot.web.pages import sites as site_pages
from handlers import review_messages
from handlers.catalog import t
from handlers.messages import Reply
from storage import sites as site_store
from storage.models import Person, ProposedSite, Site


async def _proposal(ctx: Ctx) -> ProposedSite | None:
    proposal = await ctx.db.get(ProposedSite, ctx.request.path_params["proposal_id"])
    return proposal if proposal is not None and proposal.status == "proposed" else None


def _suggested(ctx: Ctx, proposal: ProposedSite) -> dict[str, str]:
    """The add form filled from what the inspector typed and the checklist's site kind."""
    checklist = ctx.console.report_settings().registry().get(proposal.checklist_id)
    values = site_pages.form_values(None)
    values["name"] = proposal.text[:300]
    if checklist is not None and checklist.site_kinds:
        values["kind"] = checklist.site_kinds[0]
    return values


def _page(ctx: Ctx, proposal, form: dict, errors: list[str], status_code: int = 200):
    return ctx.render(
        "proposal.html",
        status_code,
        proposal=proposal,
        form=form,
        errors=errors,
        site=None,
        **site_pages.choices(),
    )


async def proposal_page(ctx: Ctx) -> Response:
    proposal = await _proposal(ctx)
    if proposal is None:
        return ctx.not_found()
    return _page(ctx, proposal, _suggested(ctx, proposal), [])


async def add_proposed(ctx: Ctx) -> Response:
    proposal = await _proposal(ctx)
    if proposal is None:  # unknown, or another admin settled it first
        return ctx.not_found()
    form = ctx.request.state.form
    values = {name: str(form.get(name, "")) for name in site_pages.FIELDS}
    rows, errors = site_store.parse_sites_csv(site_pages.as_csv(values))
    code = values["code"].strip()
    if (await ctx.db.exec(select(Site).where(Site.code == code))).first() is not None:
        errors = [*errors, f"code {code!r}"]
    if errors:
        shown = [error.split(": ", 1)[-1] for error in errors]
        return _page(ctx, proposal, values, shown, 422)
    if await site_store.settle_proposal(ctx.db, proposal.id, "added") is None:
        return ctx.not_found()
    await site_store.import_sites(ctx.db, rows)
    await _tell(ctx, proposal, "web_chat_site_added", name=rows[0]["name"], code=code)
    await ctx.db.commit()
    return RedirectResponse(f"/sites?done={code}", status_code=303)


async def decline_proposed(ctx: Ctx) -> Response:
    proposal = await _proposal(ctx)
    if (
        proposal is None
        or await site_store.settle_proposal(ctx.db, proposal.id, "declined") is None
    ):
        return ctx.not_found()
    reason = str(ctx.request.state.form.get("reason", "")).strip()[:300]
    key = "web_chat_site_declined_reason" if reason else "web_chat_site_declined"
    await _tell(ctx, proposal, key, text=proposal.text[:200], reason=reason)
    await ctx.db.commit()
    return RedirectResponse("/sites?declined=1", status_code=303)


async def _tell(ctx: Ctx, proposal: ProposedSite, key: str, **values) -> None:
    """The proposer told in the chat, in their language, with the decision."""
    person = await ctx.db.get(Person, proposal.person_id)
    if person is None or not person.active:
        return
    text = t(person.language, key, **values)
    await review_messages.send_to(ctx.db, person, [Reply(text)])
