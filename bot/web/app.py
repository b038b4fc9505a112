"""The office web console: an ASGI application (starlette) with server-rendered pages.

``create_app(config, database)`` builds it; ``fieldbot web`` serves it alone and
``fieldbot run`` mounts it beside the webhooks. Every page goes through ``page()``:
one database session, the signed-in person (or the "send /web" page), the role check,
and the CSRF check on every POST.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.config import Config
from bot.web import auth
from bot.web.render import Renderer
from storage import web as web_store
from storage.db import Database

HERE = Path(__file__).parent


@dataclass
class Console:
    """What every page needs: configuration, the database, templates, report settings."""

    config: Config
    database: Database
    renderer: Renderer
    _secret: str | None = None
    _settings: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def secure_cookies(self) -> bool:
        return self.config.web_base_url.startswith("https://")

    async def secret(self, session) -> str:
        if self._secret is None:
            self._secret = await web_store.signing_secret(session)
        return self._secret

    def report_settings(self):
        """The same settings /summary, /export and /report use (one source of figures)."""
        if self._settings is None:
            from handlers.checklist import ChecklistRegistry
            from handlers.reports import ReportSettings
            from handlers.targets import Targets

            self._settings = ReportSettings(
                timezone=self.config.timezone,
                out_dir=self.config.media_dir / "reports",
                targets=Targets.from_config(self.config.values["targets"]),
                checklists=ChecklistRegistry.load(),
                review_rule=self.config.get("review", "indicators"),
            )
        return self._settings


@dataclass
class Ctx:
    """One request to a page: the request, its database session and who is asking."""

    request: Request
    db: Any
    who: auth.SignedIn
    language: str
    console: Console

    def render(self, template: str, status_code: int = 200, **values: Any) -> Response:
        return self.console.renderer.page(self, template, status_code, **values)

    def refuse(self) -> Response:
        return self.render("message.html", 403, title="forbidden", body="forbidden_body")

    def not_found(self) -> Response:
        return self.render("message.html", 404, title="not_found", body="not_found_body")

    async def record_access(self, action: str, detail: str) -> None:
        """A view or download of personal data, in the access log as the chat's and the
        command line's are (storage/privacy.py), committed at once."""
        from storage.privacy import record_access

        await record_access(self.db, self.who.person, action, detail, source="web")
        await self.db.commit()


Handler = Callable[[Ctx], Awaitable[Response]]


def language_of(request: Request, person=None) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(auth.LANGUAGE_COOKIE)
    if chosen in ("vi", "en"):
        return chosen
    return person.language if person is not None and person.language in ("vi", "en") else "vi"


def page(console: Console, name: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wraps a page handler with sign-in, role and CSRF checks."""

    async def endpoint(request: Request) -> Response:
        async with console.database.session() as session:
            secret = await console.secret(session)
            who = await auth.signed_in(session, secret, request)
            if who is None:
                language = language_of(request)
                return console.renderer.bare(
                    request, "signed_out.html", language, 401, reason="need_sign_in"
                )
            ctx = Ctx(request, session, who, language_of(request, who.person), console)
            if not auth.allowed(who.person.role, name):
                return ctx.refuse()
            if request.method == "POST":
                form = await request.form()
                request.state.form = form
                if not auth.csrf_ok(who, form.get("csrf"), request.headers.get("X-CSRF-Token")):
                    return ctx.render("message.html", 403, title="csrf", body="csrf_body")
            response = await handler(ctx)
            if request.query_params.get("lang") in ("vi", "en"):
                response.set_cookie(
                    auth.LANGUAGE_COOKIE,
                    request.query_params["lang"],
                    max_age=365 * 24 * 3600,
                    samesite="lax",
                    secure=console.secure_cookies,
                )
            return response

    return endpoint


# --- signing in and out -----------------------------------------------------------


def _login_routes(console: Console) -> list[Route]:
    async def login_page(request: Request) -> Response:
        token = request.path_params["token"]
        language = language_of(request)
        async with console.database.session() as session:
            state = await web_store.link_state(session, token)
        if state != "valid":
            return console.renderer.bare(
                request, "signed_out.html", language, 410, reason=f"link_{state}"
            )
        return console.renderer.bare(request, "login.html", language, 200, token=token)

    async def login(request: Request) -> Response:
        token = request.path_params["token"]
        async with console.database.session() as session:
            person_id = await web_store.spend_link(session, token)
            if person_id is None:
                await session.rollback()
                state = await web_store.link_state(session, token)
                return console.renderer.bare(
                    request, "signed_out.html", language_of(request), 410, reason=f"link_{state}"
                )
            agent = request.headers.get("user-agent", "")
            session_id = await web_store.open_session(session, person_id, agent)
            await session.commit()
            secret = await console.secret(session)
        response = RedirectResponse("/", status_code=303)
        auth.set_session_cookie(response, secret, session_id, console.secure_cookies)
        return response

    async def logout(ctx: Ctx) -> Response:
        await web_store.revoke_session(ctx.db, ctx.who.session.id_hash)
        await ctx.db.commit()
        response = RedirectResponse("/signed-out", status_code=303)
        auth.clear_session_cookie(response, console.secure_cookies)
        return response

    async def signed_out(request: Request) -> Response:
        return console.renderer.bare(
            request, "signed_out.html", language_of(request), 200, reason="signed_out"
        )

    async def home(ctx: Ctx) -> Response:
        target = auth.home_page(ctx.who.person.role)
        return RedirectResponse(f"/{target}", status_code=303)

    return [
        Route("/login/{token}", login_page, methods=["GET"]),
        Route("/login/{token}", login, methods=["POST"]),
        Route("/logout", page(console, "checks", logout), methods=["POST"]),
        Route("/signed-out", signed_out, methods=["GET"]),
        Route("/", page(console, "checks", home), methods=["GET"]),
    ]


def create_app(config: Config, database: Database) -> Starlette:
    """The console's ASGI application on ``database``."""
    from bot.web.pages import routes as page_routes

    console = Console(config, database, Renderer(HERE / "templates", config))
    routes = _login_routes(console)
    for path, name, handler, methods in page_routes():
        routes.append(Route(path, page(console, name, handler), methods=methods))
    routes.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    app = Starlette(routes=routes)
    app.state.console = console
    return app
