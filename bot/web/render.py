"""Templates: Jinja2 with the message catalog (web_*.toml), dates dd/mm/yyyy in the
configured time zone, and the navigation the signed-in person may use."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.config import Config
from bot.web import auth
from handlers.catalog import t

if TYPE_CHECKING:
    from bot.web.app import Ctx


def translator(language: str):
    def translate(key: str, **values: Any) -> str:
        return t(language, f"web_{key}", **values)

    return translate


class Renderer:
    def __init__(self, folder: Path, config: Config) -> None:
        self.config = config
        self.timezone = config.timezone
        self.env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["day"] = self.day
        self.env.filters["moment"] = self.moment

    def _local(self, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.timezone)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = self._local(value)
        return value.strftime("%d/%m/%Y")

    def moment(self, value: datetime | None) -> str:
        return "—" if value is None else self._local(value).strftime("%d/%m/%Y %H:%M")

    def _html(self, template: str, status_code: int, values: dict[str, Any]) -> HTMLResponse:
        html = self.env.get_template(template).render(**values)
        # Pages hold personal data: no caching by the browser or a proxy.
        headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
        return HTMLResponse(html, status_code=status_code, headers=headers)

    def bare(
        self, request: Request, template: str, language: str, status_code: int, **values: Any
    ) -> HTMLResponse:
        """A page for someone not signed in (sign-in, expired link, signed out)."""
        values.update(
            _=translator(language), lang=language, who=None, nav=[], path=request.url.path
        )
        return self._html(template, status_code, values)

    def page(self, ctx: Ctx, template: str, status_code: int, **values: Any) -> HTMLResponse:
        role = ctx.who.person.role
        nav = [name for name in auth.NAVIGATION if auth.allowed(role, name)]
        values.update(
            _=translator(ctx.language),
            lang=ctx.language,
            who=ctx.who.person,
            csrf=ctx.who.csrf,
            nav=nav,
            path=ctx.request.url.path,
            query=ctx.request.query_params,
            may=lambda page: auth.allowed(role, page),
        )
        if ctx.request.headers.get("HX-Request") and "partial" in values:
            template = values["partial"]
        return self._html(template, status_code, values)
