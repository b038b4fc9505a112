"""An in-process fake of the Zalo Bot Platform for end-to-end tests.

Serves, on 127.0.0.1 with a random port, the methods the bot uses, in the shapes
of ../shared/spec/zalo-bot-api.md: the ``{"ok": ..., "result"| "error_code"}``
envelope (errors with HTTP 200), getUpdates that long-polls and returns ONE update
object or ``ok:false, error_code:408`` when nothing arrived, sendMessage limited
to 2,000 characters. A test acts as users (text, images served from a loopback
URL, stickers, unsupported content), reads what the bot sent, and injects
failures::

    async with FakeZalo() as zalo:
        zalo.user_sends_text(user, "/start")
        reply = await zalo.wait_for_message(user)

Simplifications: every chat is private (chat.id == from.id); any chat id is
accepted by the send methods; a webhook being set does not stop getUpdates.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fake_telegram import _Signal  # one wake-up helper for both fakes

DEFAULT_TOKEN = "1459232241454765289:zalo-TEST-secret-abcdefghijkl"
TEXT_LIMIT = 2000
_HTTP_REASONS = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}


def new_id() -> str:
    """A Zalo id: 20 hexadecimal characters (users, chats, messages)."""
    return secrets.token_hex(10)


def now_ms() -> int:
    return int(time.time() * 1000)


def update_body(update: dict, wrapped: bool = True) -> dict:
    """A webhook body for ``update``: wrapped as documented or bare as delivered."""
    inner = unwrap(update)
    return {"ok": True, "result": copy.deepcopy(inner)} if wrapped else copy.deepcopy(inner)


def unwrap(update: dict) -> dict:
    return update["result"] if "event_name" not in update and "result" in update else update


@dataclass
class SentRecord:
    """One successful call by the bot that sends something."""

    method: str  # sendMessage, sendPhoto, sendChatAction
    chat_id: str | None
    text: str | None  # the text, or a photo's caption
    params: dict[str, Any]
    result: Any = None
    consumed: bool = False  # set by wait_for_message

    @property
    def numbered(self) -> dict[int, str]:
        """The numbered choices shown in the text: {1: "label", ...}."""
        choices: dict[int, str] = {}
        for line in (self.text or "").splitlines():
            number, dot, label = line.strip().partition(". ")
            if dot and number.isdigit():
                choices[int(number)] = label
        return choices


@dataclass
class Call:
    """Every request that reached a method, failed or not (to count retries)."""

    method: str
    params: dict[str, Any]
    http_status: int
    body: dict
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    error_code: int
    http_status: int
    description: str | None
    retry_after: float | None


@dataclass
class _Queued:
    update: dict
    delivered: bool = False


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


def _error(code: int, description: str, retry_after: float | None = None) -> dict:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


class FakeZalo:
    """A fake Zalo Bot Platform. ``async with FakeZalo() as zalo`` or start()/stop()."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_name: str = "bot.fieldbot") -> None:
        self.token = token
        self.bot = {
            "id": token.split(":", 1)[0],
            "account_name": bot_name,
            "account_type": "BASIC",
            "can_join_groups": False,
        }
        self.sent: list[SentRecord] = []
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {"url": "", "secret_token": "", "updated_at": now_ms()}
        self.images: dict[str, bytes] = {}
        self.downloads: list[str] = []  # image names the bot fetched
        self.api_base_url = self.base_url = ""
        self.names: dict[str, str] = {}
        self._queue: list[_Queued] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._updates_signal, self._sent_signal = _Signal(), _Signal()
        self._delivered_signal = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods = {
            name: getattr(self, "_api_" + name)
            for name in (
                "getMe getUpdates sendMessage sendPhoto sendChatAction setWebhook "
                "deleteWebhook getWebhookInfo"
            ).split()
        }

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> FakeZalo:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/images/{name}", self._handle_image)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_base_url = f"{self.base_url}/bot"
        return self

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeZalo:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ test controls
    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        http_status: int = 200,
        count: int = 1,
        description: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """The next ``count`` calls of ``method`` fail with ``error_code``, answered
        with HTTP ``http_status`` (200 as Zalo often does, or 429 / 500)."""
        fault = _Fault(error_code, http_status, description, retry_after)
        self._faults.setdefault(method, []).extend([fault] * count)

    def push_update(self, update: dict) -> dict:
        """Queues an update (bare) for getUpdates, as is: the same message_id may be
        delivered twice. Returns the queued update."""
        update = copy.deepcopy(unwrap(update))
        self._queue.append(_Queued(copy.deepcopy(update)))
        self._updates_signal.fire()
        return update

    # The make_* builders only build (for webhook bodies); user_sends_* also queue.
    def make_update(
        self,
        user_id: str,
        event_name: str,
        content: dict | None = None,
        *,
        display_name: str | None = None,
        message_id: str | None = None,
    ) -> dict:
        if display_name:
            self.names[user_id] = display_name
        message = {
            "from": {
                "id": user_id,
                "display_name": self.names.get(user_id, "Tester"),
                "is_bot": False,
            },
            "chat": {"id": user_id, "chat_type": "PRIVATE"},
            **(content or {}),
            "message_id": message_id or new_id(),
            "date": now_ms(),
        }
        return {"event_name": event_name, "message": message}

    def make_text(self, user_id: str, text: str, **kwargs) -> dict:
        return self.make_update(user_id, "message.text.received", {"text": text}, **kwargs)

    def make_image(
        self,
        user_id: str,
        image_bytes: bytes,
        field: str = "photo_url",
        caption: str | None = None,
        **kwargs,
    ) -> dict:
        """An image message; the bytes are served at a loopback URL until the end."""
        name = f"{new_id()}.jpg"
        self.images[name] = image_bytes
        content: dict[str, Any] = {field: f"{self.base_url}/images/{name}"}
        if caption is not None:
            content["caption"] = caption
        return self.make_update(user_id, "message.image.received", content, **kwargs)

    def user_sends_text(self, user_id: str, text: str, **kwargs) -> dict:
        return self.push_update(self.make_text(user_id, text, **kwargs))

    def user_sends_image(
        self, user_id: str, image_bytes: bytes, field: str = "photo_url", **kwargs
    ) -> dict:
        return self.push_update(self.make_image(user_id, image_bytes, field, **kwargs))

    def user_sends_sticker(self, user_id: str, **kwargs) -> dict:
        content = {"sticker": "bfe458bf64fa8da4d4eb", "url": f"{self.base_url}/images/sticker"}
        return self.push_update(
            self.make_update(user_id, "message.sticker.received", content, **kwargs)
        )

    def user_sends_unsupported(self, user_id: str, **kwargs) -> dict:
        return self.push_update(self.make_update(user_id, "message.unsupported.received", **kwargs))

    update_body = staticmethod(update_body)
    new_user_id = staticmethod(new_id)

    # --------------------------------------------------------- test assertions
    def messages_to(self, chat_id: str) -> list[SentRecord]:
        """Every sendMessage/sendPhoto to the chat, consumed or not."""
        return [r for r in self.sent if r.chat_id == chat_id and r.method != "sendChatAction"]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for_message(
        self, chat_id: str, predicate=None, timeout: float = 10.0
    ) -> SentRecord:
        """The oldest unconsumed message to the chat matching ``predicate(record)``;
        waits for it, then marks it consumed."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for record in self.messages_to(chat_id):
                if not record.consumed and (predicate is None or predicate(record)):
                    record.consumed = True
                    return record
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = [
                    (r.text, "consumed" if r.consumed else "new") for r in self.messages_to(chat_id)
                ]
                raise AssertionError(
                    f"no matching message to chat {chat_id} within "
                    f"{timeout}s; messages so far: {seen}"
                )
            await self._sent_signal.wait(remaining)

    async def expect_no_message(self, chat_id: str, within: float = 0.3) -> None:
        await asyncio.sleep(within)
        fresh = [r.text for r in self.messages_to(chat_id) if not r.consumed]
        if fresh:
            raise AssertionError(f"unexpected messages to chat {chat_id}: {fresh}")

    def consume_all(self, chat_id: str) -> None:
        for record in self.messages_to(chat_id):
            record.consumed = True

    @property
    def pending_updates(self) -> list[dict]:
        return [q.update for q in self._queue if not q.delivered]

    async def wait_until_delivered(self, timeout: float = 5.0) -> None:
        """Until the bot fetched every queued update (fetched, not necessarily handled)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.pending_updates:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"updates not fetched: {self.pending_updates}")
            await self._delivered_signal.wait(remaining)

    # ------------------------------------------------------------- HTTP layer
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._read_params(request)
        if request.match_info["token"] != self.token:
            return self._answer(method, params, _error(401, "Unauthorized: invalid token"))
        handler = self._methods.get(method)  # method names are case-sensitive
        if handler is None:
            return self._answer(method, params, _error(404, "Not Found: unknown method"))
        faults = self._faults.get(method)
        if faults:
            fault = faults.pop(0)
            description = fault.description or {
                429: "Too Many Requests: quota exceeded",
                500: "Internal Server Error",
            }.get(fault.error_code, f"Error {fault.error_code}")
            body = _error(fault.error_code, description, fault.retry_after)
            return self._answer(method, params, body, fault.http_status)
        try:
            result = await handler(params, request)
        except _ApiError as error:
            return self._answer(method, params, _error(error.code, error.description))
        except (KeyError, ValueError, TypeError) as error:
            body = _error(400, f"Bad Request: invalid parameters ({error!r})")
            return self._answer(method, params, body)
        if result is _TIMEOUT:
            return self._answer(method, params, _error(408, "timeout"))
        return self._answer(method, params, {"ok": True, "result": result})

    def _answer(self, method: str, params: dict, body: dict, status: int = 200) -> web.Response:
        self.calls.append(Call(method, params, status, body))
        return web.json_response(body, status=status, reason=_HTTP_REASONS.get(status, "Error"))

    async def _handle_image(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.images:
            return web.Response(status=404, text="not found")
        self.downloads.append(name)
        return web.Response(body=self.images[name], content_type="image/jpeg")

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        """JSON, form or query parameters, as the platform accepts all three."""
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                raw = await request.read()
                data = json.loads(raw) if raw else {}
                if isinstance(data, dict):
                    params.update(data)
            else:
                params.update(
                    {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
                )
        return params

    def _record(self, method: str, params: dict, text: str | None, result: Any) -> None:
        chat_id = params.get("chat_id")
        self.sent.append(
            SentRecord(
                method,
                str(chat_id) if chat_id is not None else None,
                text,
                copy.deepcopy(params),
                result,
            )
        )
        self._sent_signal.fire()

    @staticmethod
    def _chat_id(params: dict) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise _ApiError(400, "Bad Request: chat_id must be a string")
        return chat_id

    @staticmethod
    def _sent_result() -> dict:
        return {"message_id": new_id(), "date": now_ms()}

    # ------------------------------------------------------------ API methods
    async def _api_getMe(self, params, request):
        return self.bot

    async def _api_getUpdates(self, params, request):
        """ONE update per call; after ``timeout`` seconds (a string) 408 "timeout"."""
        timeout = params.get("timeout", "30")
        if not isinstance(timeout, str):
            raise _ApiError(400, "Bad Request: timeout must be a string")
        deadline = asyncio.get_running_loop().time() + float(timeout)
        while not self.pending_updates and not self._closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await self._updates_signal.wait(remaining)
        if request.transport is None or request.transport.is_closing():
            return _TIMEOUT  # the poller hung up: the update waits for the next one
        waiting = [q for q in self._queue if not q.delivered]
        if not waiting:
            return _TIMEOUT
        waiting[0].delivered = True
        self._delivered_signal.fire()
        return copy.deepcopy(waiting[0].update)

    async def _api_sendMessage(self, params, request):
        chat_id = self._chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: text is empty")
        if len(text) > TEXT_LIMIT:
            raise _ApiError(400, f"Bad Request: text is longer than {TEXT_LIMIT} characters")
        result = self._sent_result()
        self._record("sendMessage", {**params, "chat_id": chat_id}, text, result)
        return result

    async def _api_sendPhoto(self, params, request):
        self._chat_id(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            raise _ApiError(400, "Bad Request: photo must be a URL")
        caption = params.get("caption")
        if caption is not None and len(str(caption)) > TEXT_LIMIT:
            raise _ApiError(400, "Bad Request: caption is too long")
        result = self._sent_result()
        self._record("sendPhoto", params, caption, result)
        return result

    async def _api_sendChatAction(self, params, request):
        self._chat_id(params)
        if params.get("action") != "typing":
            raise _ApiError(400, "Bad Request: unknown action")
        self._record("sendChatAction", params, None, True)
        return True

    async def _api_setWebhook(self, params, request):
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise _ApiError(400, "Bad Request: url must be https")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise _ApiError(400, "Bad Request: secret_token must have 8 to 256 characters")
        self.webhook = {"url": url, "secret_token": secret, "updated_at": now_ms()}
        return {"url": url, "updated_at": self.webhook["updated_at"]}

    async def _api_deleteWebhook(self, params, request):
        self.webhook = {"url": "", "secret_token": "", "updated_at": now_ms()}
        return {"url": "", "updated_at": self.webhook["updated_at"]}

    async def _api_getWebhookInfo(self, params, request):
        return {"url": self.webhook["url"], "updated_at": self.webhook["updated_at"]}


_TIMEOUT = object()  # getUpdates found nothing: answered ok:false, error_code 408


class ZaloPhone:
    """One person's Zalo chat with the bot: sends as the user, reads the bot's texts."""

    def __init__(self, zalo: FakeZalo, user_id: str | None = None, name: str = "Tester") -> None:
        self.zalo = zalo
        self.user_id = user_id or new_id()
        self.name = name

    async def expect(self, fragment: str, timeout: float = 15.0) -> SentRecord:
        """Waits for a message containing ``fragment``; earlier ones count as read."""
        record = await self.zalo.wait_for_message(
            self.user_id, predicate=lambda r: fragment in (r.text or ""), timeout=timeout
        )
        for earlier in self.zalo.messages_to(self.user_id):
            if earlier is record:
                break
            earlier.consumed = True
        return record

    async def send(self, text: str, expect: str) -> SentRecord:
        self.zalo.user_sends_text(self.user_id, text, display_name=self.name)
        return await self.expect(expect)

    def number_of(self, label: str) -> int:
        """The number of the newest offered choice that is, starts or ends with label."""
        for record in reversed(self.zalo.messages_to(self.user_id)):
            for number, shown in record.numbered.items():
                if shown == label or shown.startswith(label) or shown.endswith(label):
                    return number
        raise AssertionError(f"no numbered choice {label!r} in chat {self.user_id}")

    async def choose(self, label: str, expect: str) -> SentRecord:
        """Answers with the number of the choice labelled ``label``."""
        return await self.send(str(self.number_of(label)), expect)

    async def send_image(self, content: bytes, expect: str, field: str = "photo_url") -> SentRecord:
        self.zalo.user_sends_image(self.user_id, content, field, display_name=self.name)
        return await self.expect(expect)
