"""Người dùng: people, roles, deactivation, invites (a link and a QR code), and the
signed-in browser sessions, which an admin may end."""

from __future__ import annotations

import logging

from starlette.responses import RedirectResponse, Response

from bot.web.app import Ctx
from storage import people as people_store
from storage import web as web_store
from storage.models import DEPARTMENTS, ROLES

log = logging.getLogger(__name__)


async def _telegram_username(ctx: Ctx) -> str | None:
    """The bot's username for t.me invite links (asked once from getMe; None offline)."""
    extra = ctx.console.extra
    if "telegram_username" not in extra:
        extra["telegram_username"] = None
        token = ctx.console.config.telegram_token
        if token:
            import httpx

            base = ctx.console.config.get("telegram", "api_base_url")
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    answer = (await client.get(f"{base}{token}/getMe")).json()
                extra["telegram_username"] = answer["result"]["username"]
            except Exception as error:  # noqa: BLE001 - no link, the code still works
                log.warning("getMe for invite links failed: %s", type(error).__name__)
    return extra["telegram_username"]


def qr_svg(text: str) -> str:
    import segno

    # omitsize: a viewBox instead of a fixed size, so the page decides how large it is.
    return segno.make(text, error="m").svg_inline(border=2, omitsize=True)


async def _listing(ctx: Ctx, status_code: int = 200, **values) -> Response:
    return ctx.render(
        "people.html",
        status_code,
        people=await people_store.list_people(ctx.db),
        sessions=await web_store.live_sessions(ctx.db),
        roles=ROLES,
        departments=[code for code, _vi, _en in DEPARTMENTS],
        own_session=ctx.who.session.id_hash,
        **values,
    )


async def people_page(ctx: Ctx) -> Response:
    return await _listing(ctx)


def _person_id(ctx: Ctx) -> int:
    return ctx.request.path_params["person_id"]


async def change_role(ctx: Ctx) -> Response:
    role = str(ctx.request.state.form.get("role", ""))
    if _person_id(ctx) == ctx.who.person.id:
        return await _listing(ctx, 422, problem="own_role")
    if await web_store.set_role(ctx.db, _person_id(ctx), role) is None:
        return ctx.not_found()
    await ctx.db.commit()
    return RedirectResponse("/people", status_code=303)


async def set_active(ctx: Ctx) -> Response:
    active = ctx.request.state.form.get("active") == "1"
    if _person_id(ctx) == ctx.who.person.id:
        return await _listing(ctx, 422, problem="own_active")
    try:
        await people_store.set_active(ctx.db, _person_id(ctx), active)
    except people_store.PeopleError:
        return ctx.not_found()
    await ctx.db.commit()
    return RedirectResponse("/people", status_code=303)


async def create_invite(ctx: Ctx) -> Response:
    form = ctx.request.state.form
    try:
        invite = await people_store.create_invite(
            ctx.db,
            role=str(form.get("role", "")),
            department_code=str(form.get("department", "")),
            created_by_id=ctx.who.person.id,
            valid_days=ctx.console.config.get("bot", "invite_valid_days"),
        )
    except people_store.PeopleError as refused:
        return await _listing(ctx, 422, problem=refused.reason)
    await ctx.db.commit()
    username = await _telegram_username(ctx)
    link = f"https://t.me/{username}?start={invite.code}" if username else None
    return await _listing(ctx, invite=invite, link=link, qr=qr_svg(link or invite.code))


async def revoke(ctx: Ctx) -> Response:
    await web_store.revoke_session(ctx.db, ctx.request.path_params["id_hash"])
    await ctx.db.commit()
    return RedirectResponse("/people", status_code=303)
