"""Zalo: a small httpx client of the Zalo Bot Platform, long polling, numbered choices.

Zalo's Bot API looks like Telegram's but has no buttons, no files and no update
offsets: choices are numbered lists, repeated deliveries are recognised by the
message id (the engine's inbound receipts, channel "zalo"), and errors may come
with HTTP 200, so every answer's ``ok`` is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from pathlib import Path
from typing import Any

import httpx

from bot.channels.numbered import render_numbered
from bot.config import Config
from bot.logs import hide_tokens
from handlers.catalog import t
from handlers.engine import Engine
from handlers.messages import Inbound, PhotoRef, Reply, split_text
from storage import people
from storage.models import Person

log = logging.getLogger(__name__)

CHANNEL = "zalo"
ZALO_TEXT_LIMIT = 2000
DEFAULT_API_BASE_URL = "https://bot-api.zaloplatforms.com/bot"
# A photo larger than this is refused (Zalo's own limit is far below).
MAX_PHOTO_BYTES = 25 * 1024 * 1024

TEXT_EVENT = "message.text.received"
IMAGE_EVENT = "message.image.received"


class ZaloError(Exception):
    """An answer with ``ok: false`` (or no usable answer at all: code 0 for network
    failures, the HTTP status for a body that is not the API's JSON)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"Zalo error {code}: {description}")
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

    async def download(self, url: str, path: Path, attempts: int = 3) -> None:
        """Fetches an incoming photo's URL (not an API call: no token in it) into path."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.http.stream("GET", url, follow_redirects=True) as response:
                    if response.status_code >= 500 and attempt < attempts:
                        await asyncio.sleep(self._delay(attempt, None))
                        continue
                    if response.status_code != 200:
                        raise ZaloError(response.status_code, "photo download refused")
                    size = 0
                    with path.open("wb") as out:
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > MAX_PHOTO_BYTES:
                                raise ZaloError(413, "photo too large")
                            out.write(chunk)
                    return
            except httpx.TransportError as error:
                if attempt == attempts:
                    path.unlink(missing_ok=True)
                    raise ZaloError(0, f"photo download: {type(error).__name__}") from None
                await asyncio.sleep(self._delay(attempt, None))
            except ZaloError:
                path.unlink(missing_ok=True)
                raise


def unwrap(update: dict) -> dict | None:
    """The event from a webhook or getUpdates body: ``{"ok": true, "result": {...}}``
    as documented, or ``{"event_name": ..., "message": {...}}`` as delivered."""
    if not isinstance(update, dict):
        return None
    if "event_name" not in update and isinstance(update.get("result"), dict):
        update = update["result"]
    if not isinstance(update.get("event_name"), str) or not isinstance(update.get("message"), dict):
        return None
    return update


class ZaloChannel:
    """The engine on Zalo: polling (start/stop) or a webhook (process_update)."""

    def __init__(self, config: Config, engine: Engine, client: ZaloClient | None = None) -> None:
        self.config = config
        self.engine = engine
        zalo = config.values["zalo"]
        self.client = client or ZaloClient(zalo["token"], zalo["api_base_url"])
        self._own_client = client is None
        self._poller: asyncio.Task | None = None
        self._running: set[asyncio.Task] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self.poll_timeout = 30

    # --- incoming ----------------------------------------------------------------

    def _sender(self, event: dict) -> tuple[str, str, str] | None:
        """(sender id, display name, chat id) of a private message from a person."""
        message = event["message"]
        sender = message.get("from") if isinstance(message.get("from"), dict) else {}
        chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
        sender_id = sender.get("id") or chat.get("id")
        if not sender_id or sender.get("is_bot"):
            return None
        if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
            return None  # the bot talks one-to-one
        return (
            str(sender_id),
            str(sender.get("display_name") or ""),
            str(chat.get("id") or sender_id),
        )

    def to_inbound(self, update: dict) -> Inbound | None:
        """An Inbound for text and photos; None for anything the engine cannot use
        (stickers and unsupported content are answered by process_update)."""
        event = unwrap(update)
        if event is None:
            return None
        who = self._sender(event)
        if who is None:
            return None
        sender_id, name, _chat_id = who
        message = event["message"]
        key = message.get("message_id")
        common = dict(
            channel=CHANNEL,
            sender_id=sender_id,
            sender_name=name,
            update_key=str(key) if key else None,
            can_receive_files=False,
        )
        name_of_event = event["event_name"]
        if name_of_event == TEXT_EVENT:
            text = message.get("text")
            return Inbound(text=text if isinstance(text, str) else "", **common)
        if name_of_event == IMAGE_EVENT:
            url = message.get("photo_url") or message.get("photo")
            if not isinstance(url, str) or not url:
                return None
            client = self.client

            async def download(path: Path) -> None:
                await client.download(url, path)

            caption = message.get("caption") or message.get("text")
            return Inbound(
                photo=PhotoRef(str(key or url), download),
                text=caption if isinstance(caption, str) else None,
                **common,
            )
        return None

    async def process_update(self, update: dict) -> None:
        """One update from getUpdates or the webhook: to the engine, replies to the chat.
        Never raises: failures are logged (the answer, if any, is already stored)."""
        event = unwrap(update)
        if event is None:
            log.info("Zalo update without an event ignored")
            return
        who = self._sender(event)
        if who is None:
            return
        sender_id, _name, chat_id = who
        inbound = self.to_inbound(event)
        async with self._person_lock(sender_id):
            try:
                if inbound is None:
                    if not event["event_name"].startswith("message."):
                        return
                    language = await self._language_of(sender_id)
                    await self._send_texts(chat_id, [t(language, "zalo_unsupported")])
                    return
                try:
                    replies = await self.engine.handle(inbound)
                except Exception:
                    log.exception("error while handling a Zalo update")
                    language = await self._language_of(sender_id)
                    await self._send_texts(chat_id, [t(language, "error_generic")])
                    return
                await self.send(chat_id, replies)
            except ZaloError as error:
                log.warning("reply to Zalo chat %s not delivered: %s", chat_id, error)
            except Exception:
                log.exception("error while answering Zalo chat %s", chat_id)

    @contextlib.asynccontextmanager
    async def _person_lock(self, sender_id: str):
        """One person's updates in order (each answer moves their checklist on);
        different people's concurrently. asyncio.Lock is first come, first served."""
        self._waiting[sender_id] = self._waiting.get(sender_id, 0) + 1
        lock = self._locks.setdefault(sender_id, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            self._waiting[sender_id] -= 1
            if not self._waiting[sender_id]:  # forget idle people: memory stays flat
                del self._waiting[sender_id]
                del self._locks[sender_id]

    # --- outgoing ----------------------------------------------------------------

    async def _person(self, external_id: str) -> Person | None:
        try:
            async with self.engine.db.session() as session:
                return await people.find_by_account(session, CHANNEL, str(external_id))
        except Exception:  # noqa: BLE001 - a language is not worth failing a send
            log.warning("could not look up a Zalo user", exc_info=True)
            return None

    async def _language_of(self, external_id: str) -> str:
        person = await self._person(external_id)
        return person.language if person else self.engine.settings.default_language

    def texts_for(self, replies: list[Reply], language: str) -> list[str]:
        """The messages that carry ``replies`` on Zalo, each at most 2,000 characters."""
        texts: list[str] = []
        number = 1  # the engine numbers the choices of all replies in a row
        for reply in replies:
            start, number = number, number + len(reply.choices)
            if reply.file is not None:
                # Zalo cannot send documents: say where to get them instead.
                texts.append(t(language, "files_elsewhere"))
                continue
            # A picture would need a public URL for sendPhoto: its text goes alone.
            rendered = render_numbered(reply, language, start=start)
            if rendered.strip():
                texts += [p for p in split_text(rendered, ZALO_TEXT_LIMIT) if p.strip()]
        return texts

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """Sends the replies in order; raises ZaloError when one cannot be delivered
        (so a reminder can fall back to another channel)."""
        person = await self._person(str(chat_id))
        language = person.language if person else self.engine.settings.default_language
        await self._send_texts(str(chat_id), self.texts_for(replies, language))

    async def _send_texts(self, chat_id: str, texts: list[str]) -> None:
        for text in texts:
            await self.client.send_message(chat_id, text)

    # --- running ------------------------------------------------------------------

    async def start(self, poll_timeout: int = 30, delete_webhook: bool = False) -> None:
        """Checks the token (getMe) and starts long polling in a task.
        Polling and a webhook exclude each other: ``delete_webhook`` removes one."""
        self.poll_timeout = poll_timeout
        try:
            me = await self.client.get_me()
            log.info("Zalo bot %s is polling", me.get("account_name") if me else "?")
        except ZaloError as error:
            if error.code in (401, 403):
                raise
            log.warning("Zalo getMe failed (%s); polling anyway", error)
        if delete_webhook:
            await self.client.delete_webhook()
        self._poller = asyncio.create_task(self._poll_forever(), name="zalo-polling")

    async def _poll_forever(self) -> None:
        failures = 0
        while True:
            try:
                updates = await self.client.poll(self.poll_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - polling must outlive any failure
                failures += 1
                delay = min(0.5 * 2 ** min(failures - 1, 6), 30.0) * (0.75 + random.random() / 2)
                log.warning("Zalo getUpdates failed (%s); again in %.1f s", error, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update in updates:
                task = asyncio.create_task(self.process_update(update))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def stop(self, grace: float = 10.0) -> None:
        """Stops polling, lets updates being handled finish (up to ``grace`` s)."""
        if self._poller is not None:
            self._poller.cancel()
            try:
                await self._poller
            except asyncio.CancelledError:
                pass
            self._poller = None
        if self._running:
            _done, pending = await asyncio.wait(set(self._running), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        if self._own_client:
            await self.client.aclose()
