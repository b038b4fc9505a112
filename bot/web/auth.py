"""Sign-in without passwords: the one-time link sent in the chat, the session cookie,
CSRF tokens and who may open which page.

The cookie holds only the session id and its HMAC (key: the database's web secret),
so a changed or invented cookie is refused before the database is asked. The link is
opened in two steps (a page with a button, then a POST) because messengers fetch a
link to draw its preview: a GET that spent the link would sign the preview robot in.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from storage import web as web_store

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from storage.models import Person, WebSession

COOKIE = "fieldbot_session"
LANGUAGE_COOKIE = "fieldbot_lang"

# Page -> roles that may open it. Heads and inspectors see only their part of a page
# they may open (their department's checks, their own checks); see storage.web.Viewer.
PAGES = {
    "overview": ("admin", "head"),
    "checks": ("admin", "head", "inspector"),
    "map": ("admin", "head"),
    "sites": ("admin",),
    "people": ("admin",),
    "deadlines": ("admin", "head"),
    "report": ("admin",),
}
NAVIGATION = ("overview", "checks", "map", "sites", "people", "deadlines")


def allowed(role: str, page: str) -> bool:
    return role in PAGES[page]


def home_page(role: str) -> str:
    return "overview" if allowed(role, "overview") else "checks"


async def create_login_link(session: AsyncSession, person: Person, base_url: str = "") -> str:
    """The address of a new one-time sign-in link for ``person`` (valid 10 minutes,
    single use); the caller commits. ``base_url`` is Config.web_base_url. (The chat's
    /web calls storage.web.create_login_link itself: handlers do not import bot.)"""
    return await web_store.create_login_link(session, person, base_url)


def _signature(secret: str, session_id: str) -> str:
    return hmac.new(secret.encode(), session_id.encode(), hashlib.sha256).hexdigest()


def cookie_value(secret: str, session_id: str) -> str:
    return f"{session_id}.{_signature(secret, session_id)}"


def session_id_from(secret: str, value: str | None) -> str | None:
    """The session id in a cookie whose signature holds, else None."""
    if not value or "." not in value:
        return None
    session_id, _, signature = value.rpartition(".")
    if hmac.compare_digest(signature, _signature(secret, session_id)):
        return session_id
    return None


def set_session_cookie(response: Response, secret: str, session_id: str, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        cookie_value(secret, session_id),
        max_age=int(web_store.SESSION_VALID.total_seconds()),
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, secure=secure, samesite="lax")


@dataclass(frozen=True)
class SignedIn:
    """The person behind a request and their session."""

    person: Person
    session: WebSession

    @property
    def viewer(self) -> web_store.Viewer:
        person = self.person
        return web_store.Viewer(person.id, person.role, person.department_code)

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


async def signed_in(db_session: AsyncSession, secret: str, request: Request) -> SignedIn | None:
    session_id = session_id_from(secret, request.cookies.get(COOKIE))
    if session_id is None:
        return None
    found = await web_store.find_session(db_session, session_id)
    return SignedIn(found[1], found[0]) if found else None


def csrf_ok(who: SignedIn, form_value: str | None, header_value: str | None = None) -> bool:
    """A form carries the session's token (htmx sends it as a header)."""
    given = form_value or header_value or ""
    return bool(given) and hmac.compare_digest(given.encode(), who.csrf.encode())
