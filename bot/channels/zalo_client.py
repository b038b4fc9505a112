"""A small httpx client of the Zalo Bot Platform: ok checks (errors may come with
HTTP 200), 429 and 5xx backoff, 408 long polls, photo downloads."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx

from bot.channels import DeliveryError
from bot.logs import hide_tokens
from handlers.messages import PhotoTooLarge

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://bot-api.zaloplatforms.com/bot"
# The largest photo download by default (the engine passes [bot] max_photo_mb).
MAX_PHOTO_BYTES = 25 * 1024 * 1024
ZALO_TEXT_LIMIT = 2000


class ZaloError(DeliveryError):
    """An answer with ``ok: false`` (or no usable answer at all: code 0 for network
    failures, the HTTP status for a body that is not the API's JSON). Permanent unless
    it is a network failure, a time-out, 429 or a server error."""

    def __init__(self, code: int, description: str) -> None:
        transient = code in (0, 408, 429) or code >= 500
        super().__init__(f"Zalo error {code}: {description}", permanent=not transient)
        self.code = code
        self.description = description


class ZaloClient:
    """The Zalo Bot Platform's methods. 429 is waited out with exponential backoff
    (or the server's retry_after), 5xx and time-outs are tried again; both a bounded
    number of times, then ZaloError is raised. Only method names are ever logged:
    the URLs carry the token."""

    def __init__(
        self,
        token: str,
        api_base_url: str = DEFAULT_API_BASE_URL,
        *,
        http: httpx.AsyncClient | None = None,
        max_attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        request_timeout: float = 20.0,
    ) -> None:
        if not token:
            raise ValueError("a Zalo bot token is needed ([zalo] token)")
        self._token = token
        self._base = api_base_url
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.request_timeout = request_timeout
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(request_timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    def __repr__(self) -> str:  # never the token
        return f"ZaloClient({hide_tokens(self._base)!r})"

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()

    async def __aenter__(self) -> ZaloClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- the API ------------------------------------------------------------------

    async def get_me(self) -> dict:
        return await self.call("getMe")

    async def get_updates(self, timeout: int = 30) -> dict | None:
        """One update, or None when nothing arrived within ``timeout`` seconds (408)."""
        updates = await self.poll(timeout)
        return updates[0] if updates else None

    async def poll(self, timeout: int = 30) -> list[dict]:
        """getUpdates, tolerant of its shape: ONE update object as documented,
        a list should a server ever send several, [] for "no message" (408)."""
        try:
            result = await self.call(
                "getUpdates", {"timeout": str(int(timeout))}, read_timeout=timeout + 15
            )
        except ZaloError as error:
            if error.code == 408:
                return []
            raise
        if result is None:
            return []
        if isinstance(result, list):
            return [u for u in result if isinstance(u, dict)]
        if isinstance(result, dict):
            return [result]
        raise ZaloError(0, "getUpdates returned something that is not an update")

    async def send_message(self, chat_id: str, text: str) -> dict:
        return await self.call("sendMessage", {"chat_id": str(chat_id), "text": text})

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> dict:
        params = {"chat_id": str(chat_id), "photo": photo_url}
        if caption:
            params["caption"] = caption[:ZALO_TEXT_LIMIT]
        return await self.call("sendPhoto", params)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        return await self.call("sendChatAction", {"chat_id": str(chat_id), "action": action})

    async def set_webhook(self, url: str, secret_token: str) -> dict:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> dict:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict:
        return await self.call("getWebhookInfo")

    # --- the transport --------------------------------------------------------------

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None and retry_after >= 0:
            return min(float(retry_after), self.max_backoff)
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)

    async def call(
        self, method: str, params: dict | None = None, read_timeout: float | None = None
    ) -> Any:
        """POSTs JSON to ``{api_base_url}{token}/{method}``; returns ``result``."""
        url = f"{self._base}{self._token}/{method}"
        timeout = httpx.Timeout(
            self.request_timeout, read=max(read_timeout or 0, self.request_timeout)
        )
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                response = await self.http.post(url, json=params or {}, timeout=timeout)
            except httpx.RequestError as error:  # time-outs, refused connections...
                kind = type(error).__name__
                if last:
                    raise ZaloError(0, f"{method}: {kind} after {attempt} attempts") from None
                delay = self._delay(attempt, None)
                log.warning("Zalo %s: %s; trying again in %.1f s", method, kind, delay)
                await asyncio.sleep(delay)
                continue
            body = self._body(response)
            if body is not None and body.get("ok") is True:
                return body.get("result")
            code, description, retry_after = self._error_of(response, body)
            if (
                code == 429
                or response.status_code == 429
                or code >= 500
                or (body is None and response.status_code >= 500)
            ):
                if last:
                    log.error(
                        "Zalo %s failed after %d attempts: %s %s",
                        method,
                        attempt,
                        code,
                        description,
                    )
                    raise ZaloError(code, description)
                delay = self._delay(attempt, retry_after if code == 429 else None)
                log.warning(
                    "Zalo %s: %s %s; trying again in %.1f s", method, code, description, delay
                )
                await asyncio.sleep(delay)
                continue
            raise ZaloError(code, description)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _body(response: httpx.Response) -> dict | None:
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    def _error_of(response: httpx.Response, body: dict | None) -> tuple[int, str, float | None]:
        if body is None:
            status = response.status_code
            return (0 if status == 200 else status), f"HTTP {status} without a JSON body", None
        try:
            code = int(body.get("error_code") or response.status_code)
        except (TypeError, ValueError):
            code = response.status_code
        if code == 200:  # "ok" missing or false with no code: a broken answer
            code = 0
        description = hide_tokens(str(body.get("description") or "no description"))
        retry_after = None
        parameters = body.get("parameters")
        for source in (
            parameters if isinstance(parameters, dict) else {},
            body,
            {"retry_after": response.headers.get("Retry-After")},
        ):
            value = source.get("retry_after")
            if value is not None:
                try:
                    retry_after = float(value)
                    break
                except (TypeError, ValueError):
                    pass
        return code, description, retry_after

    async def download(
        self, url: str, path: Path, attempts: int = 3, max_bytes: int = MAX_PHOTO_BYTES
    ) -> None:
        """Fetches an incoming photo's URL (not an API call: no token in it) into path.
        Zalo's update does not say the photo's size: one over ``max_bytes`` is refused
        (PhotoTooLarge) from its Content-Length before the body, else while reading."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.http.stream("GET", url, follow_redirects=True) as response:
                    if response.status_code >= 500 and attempt < attempts:
                        await asyncio.sleep(self._delay(attempt, None))
                        continue
                    if response.status_code != 200:
                        raise ZaloError(response.status_code, "photo download refused")
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise PhotoTooLarge(int(declared))
                    size = 0
                    with path.open("wb") as out:
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > max_bytes:
                                raise PhotoTooLarge(size)
                            out.write(chunk)
                    return
            except httpx.TransportError as error:
                if attempt == attempts:
                    path.unlink(missing_ok=True)
                    raise ZaloError(0, f"photo download: {type(error).__name__}") from None
                await asyncio.sleep(self._delay(attempt, None))
            except (ZaloError, PhotoTooLarge):
                path.unlink(missing_ok=True)
                raise
