"""An in-process fake of the Telegram Bot API for end-to-end tests.

Why: the bot must be tested through the *real* python-telegram-bot stack (HTTP requests,
JSON parsing, long polling, retries on 429) without reaching api.telegram.org. This module
serves the subset of the Bot API the bot uses on 127.0.0.1 with a random port, records
everything the bot sends, lets a test act as a user, and injects failures on demand::

    async with FakeTelegram() as tg:
        app = (ApplicationBuilder().token(tg.token).base_url(tg.api_base_url)
               .base_file_url(tg.file_base_url).build())
        ...  # initialize/start the app, start_polling(poll_interval=0, timeout=1)
        tg.user_sends_text(42, "/start")
        reply = await tg.wait_for_message(42)
        assert "Xin chào" in reply.text

Deliberate simplifications (documented so nobody is surprised): every chat with a positive id
is a private chat with the user of that id; ``parse_mode`` markup is not rendered (the text
is recorded exactly as sent); ``allowed_updates`` is ignored. Confirming an offset only drops
updates that were already delivered, so ``push_update`` can re-deliver an old update_id to
exercise the bot's own de-duplication.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

DEFAULT_TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu"

# Form values arrive as strings; PTB JSON-encodes every non-string value. These parameters
# are genuinely strings and must not be JSON-decoded (a text "123" must stay "123").
_STRING_PARAMS = frozenset(
    "text caption callback_query_id file_id parse_mode action url inline_message_id photo "
    "document language_code description".split()
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class StoredFile:
    """A file known to the fake server (uploaded by a simulated user or by the bot)."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class SentRecord:
    """One successful API call by the bot that changes something (send, edit, answer...)."""

    method: str  # canonical Bot API name, e.g. "sendMessage"
    chat_id: int | str | None
    text: str | None  # message text, or the caption for media
    reply_markup: dict | None
    files: dict[str, UploadedFile]
    params: dict[str, Any]
    message: dict | None = None  # the Message returned to the bot; None for non-messages
    consumed: bool = False  # set by wait_for_message

    @property
    def message_id(self) -> int | None:
        return self.message["message_id"] if self.message else None

    @property
    def buttons(self) -> list[dict]:
        """All buttons (inline or reply keyboard) flattened, each a dict with at least text."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]


@dataclass
class InjectedFailure:
    """A request that failed because a test called fail_next()."""

    method: str
    status: int
    params: dict[str, Any]
    retry_after: int | None = None


@dataclass
class _Fault:
    status: int
    retry_after: int
    description: str | None


@dataclass
class _Queued:
    update: dict
    delivered: bool = False


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


class _Signal:
    """Wakes every current waiter; waiters re-check their condition (no lost wake-ups,
    since the event loop is single-threaded and checks happen right before waiting)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._event.wait(), max(timeout, 0))
        except TimeoutError:
            pass


def _error_body(status: int, description: str, retry_after: int | None = None) -> dict:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def _inline(markup: Any) -> dict | None:
    """Telegram only echoes inline keyboards in returned messages (PTB parses them as such)."""
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None


class FakeTelegram:
    """A fake Bot API server. Use ``async with FakeTelegram() as tg`` or start()/stop()."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "fieldbot_test_bot",
        bot_first_name: str = "FieldBot",
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.sent: list[SentRecord] = []
        self.failures: list[InjectedFailure] = []
        self.answered_callbacks: list[dict] = []
        self.webhook: dict = {"url": "", "secret": None}  # what setWebhook registered
        self.files: dict[str, StoredFile] = {}
        self.commands: list[dict] = []
        self.api_base_url = self.file_base_url = ""
        self._queue: list[_Queued] = []
        self._next_update_id = 1
        self._message_ids: dict[Any, int] = {}
        self._messages: dict[tuple[Any, int], dict] = {}  # bot messages, current state
        self._users: dict[int, dict] = {}
        self._open_callbacks: set[str] = set()
        self._faults: dict[str, list[_Fault]] = {}
        self._latency: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._updates_signal, self._sent_signal = _Signal(), _Signal()
        self._delivered_signal = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods = {
            name.lower(): (name, getattr(self, "_api_" + name))
            for name in (
                "getMe getUpdates sendMessage editMessageText editMessageReplyMarkup "
                "answerCallbackQuery sendPhoto sendDocument getFile setMyCommands getMyCommands "
                "setWebhook deleteWebhook getWebhookInfo sendChatAction deleteMessage close logOut"
            ).split()
        }

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client hung up ends at once, not at timeout.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.api_base_url = f"http://127.0.0.1:{port}/bot"
        self.file_base_url = f"http://127.0.0.1:{port}/file/bot"
        return self

    async def stop(self) -> None:
        self._closing = True
        self._updates_signal.fire()  # release pending long polls at once
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ test controls
    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail like the real API would: 429 gives
        ``parameters.retry_after`` (PTB raises RetryAfter), 500 an Internal Server Error."""
        fault = _Fault(status, retry_after, description)
        self._faults.setdefault(method.lower(), []).extend([fault] * count)

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Delay every response (or only those of ``method``) by ``seconds``."""
        self._latency[method.lower() if method else "*"] = seconds

    def push_update(self, update: dict) -> dict:
        """Queue a raw update for getUpdates. Keeps an existing update_id (so the same update
        can be delivered twice), otherwise assigns the next one. Returns the queued update."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self._queue.append(_Queued(copy.deepcopy(update)))
        self._updates_signal.fire()
        return update

    def user_sends_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> dict:
        """A user writes in the private chat; "/cmd args" gets a bot_command entity."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._user_message(user_id, first_name, language_code, content)

    def user_sends_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        width: int = 1280,
        height: int = 960,
        first_name: str | None = None,
        language_code: str | None = None,
        file_size: int | None = None,
        announce_size: bool = True,
    ) -> dict:
        """A user sends a photo; its bytes become downloadable through getFile. The
        update says ``file_size`` (default: the real size) unless ``announce_size`` is
        false (the field is optional in the Bot API; getFile then tells it)."""
        stored = self._store_file(content, "photos", ".jpg", mime_type="image/jpeg")
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
        }
        if announce_size:
            size["file_size"] = len(content) if file_size is None else file_size
        body: dict[str, Any] = {"photo": [size]}
        if caption is not None:
            body["caption"] = caption
        return self._user_message(user_id, first_name, language_code, body)

    def user_sends_document(
        self,
        user_id: int,
        content: bytes,
        file_name: str = "report.pdf",
        mime_type: str = "application/pdf",
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> dict:
        stored = self._store_file(content, "documents", "", file_name, mime_type)
        return self._user_message(
            user_id, first_name, language_code, {"document": self._document(stored)}
        )

    def user_sends_location(
        self,
        user_id: int,
        lat: float,
        lon: float,
        *,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> dict:
        return self._user_message(
            user_id, first_name, language_code, {"location": {"latitude": lat, "longitude": lon}}
        )

    def user_presses_button(
        self,
        user_id: int,
        callback_data: str,
        message_id: int | None = None,
        *,
        check: bool = True,
        first_name: str | None = None,
        language_code: str | None = None,
    ) -> dict:
        """A user presses an inline button, by default on the newest bot message in the chat
        that still shows an inline keyboard. With ``check`` the button must exist on it."""
        if message_id is None:
            ids = [
                mid
                for (chat, mid), msg in self._messages.items()
                if chat == user_id and "reply_markup" in msg
            ]
            if not ids:
                raise LookupError(f"no bot message with an inline keyboard in chat {user_id}")
            message_id = max(ids)
        message = self._messages.get((user_id, message_id))
        if message is None:
            raise LookupError(f"the bot sent no message {message_id} to chat {user_id}")
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        offered = [button.get("callback_data") for row in rows for button in row]
        if check and callback_data not in offered:
            raise AssertionError(
                f"message {message_id} has no button {callback_data!r}; buttons: {offered}"
            )
        query_id = str(next(self._ids))
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": self._user(user_id, first_name, language_code),
            "chat_instance": f"instance-{user_id}",
            "data": callback_data,
            "message": copy.deepcopy(message),
        }
        return self.push_update({"callback_query": query})

    # --------------------------------------------------------- test assertions
    def messages_to(self, chat_id: int | str) -> list[SentRecord]:
        """Every message the bot sent to (or edited in) the chat, consumed or not."""
        return [r for r in self.sent if r.message is not None and r.chat_id == chat_id]

    async def wait_for_message(
        self, chat_id: int | str, predicate=None, timeout: float = 10.0
    ) -> SentRecord:
        """The oldest not yet consumed message (send or edit) to the chat that matches
        ``predicate(record)``; waits for it, then marks it consumed."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for record in self.messages_to(chat_id):
                if not record.consumed and (predicate is None or predicate(record)):
                    record.consumed = True
                    return record
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                seen = [
                    (r.method, r.text, "consumed" if r.consumed else "new")
                    for r in self.messages_to(chat_id)
                ]
                raise AssertionError(
                    f"no matching bot message to chat {chat_id} within "
                    f"{timeout}s; messages so far: {seen}"
                )
            await self._sent_signal.wait(remaining)

    async def wait_for_messages(
        self, chat_id: int | str, n: int, timeout: float = 10.0
    ) -> list[SentRecord]:
        deadline = asyncio.get_running_loop().time() + timeout
        return [
            await self.wait_for_message(
                chat_id, timeout=deadline - asyncio.get_running_loop().time()
            )
            for _ in range(n)
        ]

    async def expect_no_message(self, chat_id: int | str, within: float = 0.3) -> None:
        """Fail if the bot sends an unconsumed message to the chat within ``within`` seconds."""
        await asyncio.sleep(within)
        fresh = [r.text for r in self.messages_to(chat_id) if not r.consumed]
        if fresh:
            raise AssertionError(f"unexpected bot messages to chat {chat_id}: {fresh}")

    def consume_all(self, chat_id: int | str) -> None:
        """Mark every message so far as seen (e.g. skip the greeting)."""
        for record in self.messages_to(chat_id):
            record.consumed = True

    @property
    def pending_updates(self) -> list[dict]:
        return [q.update for q in self._queue if not q.delivered]

    async def wait_until_delivered(self, timeout: float = 5.0) -> None:
        """Wait until the bot fetched every queued update (fetched, not necessarily handled)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.pending_updates:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"updates not fetched: {self.pending_updates}")
            await self._delivered_signal.wait(remaining)

    # ------------------------------------------------------------- HTTP layer
    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(_error_body(401, "Unauthorized"), status=401)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return web.json_response(_error_body(404, "Not Found"), status=404)
        name, handler = entry
        params, files = await self._read_params(request)
        delay = self._latency.get(name.lower(), self._latency.get("*", 0))
        if delay:
            await asyncio.sleep(delay)
        faults = self._faults.get(name.lower())
        if faults:
            return self._fail(name, params, faults.pop(0))
        try:
            result = await handler(params, files, request)
        except _ApiError as error:
            return web.json_response(
                _error_body(error.status, error.description), status=error.status
            )
        except (KeyError, ValueError, TypeError) as error:
            body = _error_body(400, f"Bad Request: invalid parameters ({error!r})")
            return web.json_response(body, status=400)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(_error_body(401, "Unauthorized"), status=401)
        for stored in self.files.values():
            if stored.file_path == request.match_info["path"]:
                return web.Response(
                    body=stored.content, content_type=stored.mime_type or "application/octet-stream"
                )
        return web.json_response(_error_body(404, "Not Found"), status=404)

    def _fail(self, name: str, params: dict, fault: _Fault) -> web.Response:
        retry_after = fault.retry_after if fault.status == 429 else None
        description = fault.description or (
            f"Too Many Requests: retry after {retry_after}"
            if retry_after is not None
            else _DESCRIPTIONS.get(fault.status, f"Error {fault.status}")
        )
        self.failures.append(InjectedFailure(name, fault.status, params, retry_after))
        return web.json_response(
            _error_body(fault.status, description, retry_after), status=fault.status
        )

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[dict, dict[str, UploadedFile]]:
        """Accept query strings, JSON bodies, urlencoded forms and multipart uploads."""
        params: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            body = await request.read()
            params.update(json.loads(body) if body else {})
            return params, files
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(
                    key, value.filename, value.content_type, value.file.read()
                )
            else:
                params[key] = value
        for key, value in params.items():
            if key not in _STRING_PARAMS and isinstance(value, str):
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    pass  # a genuine string such as "@channelname"
        return params, files

    # --------------------------------------------------------------- helpers
    def _record(
        self,
        name: str,
        params: dict,
        files: dict | None = None,
        message: dict | None = None,
        text: str | None = None,
    ) -> None:
        self.sent.append(
            SentRecord(
                method=name,
                chat_id=params.get("chat_id"),
                text=text,
                reply_markup=params.get("reply_markup"),
                files=files or {},
                params=params,
                message=copy.deepcopy(message),
            )
        )
        self._sent_signal.fire()

    def _user(self, user_id: int, first_name: str | None, language_code: str | None) -> dict:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": "Tester", "language_code": "vi"}
        )
        if first_name:
            user["first_name"] = first_name
        if language_code is not None:
            user["language_code"] = language_code
            if not language_code:
                del user["language_code"]
        return dict(user)

    def _chat(self, chat_id: Any) -> dict:
        if isinstance(chat_id, int) and chat_id > 0:
            first_name = self._users.get(chat_id, {}).get("first_name", "Tester")
            return {"id": chat_id, "type": "private", "first_name": first_name}
        if not isinstance(chat_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        return {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}

    def _new_message(self, chat_id: Any, sender: dict, content: dict) -> dict:
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": sender,
            **content,
        }

    def _user_message(
        self, user_id: int, first_name: str | None, language_code: str | None, content: dict
    ) -> dict:
        sender = self._user(user_id, first_name, language_code)
        return self.push_update({"message": self._new_message(user_id, sender, content)})

    def _bot_message(self, params: dict, content: dict) -> dict:
        if markup := _inline(params.get("reply_markup")):
            content["reply_markup"] = markup
        message = self._new_message(params["chat_id"], self.bot_user, content)
        self._messages[(params["chat_id"], message["message_id"])] = message
        return message

    def _store_file(
        self,
        content: bytes,
        folder: str,
        suffix: str,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        n = next(self._ids)
        stored = StoredFile(
            f"FAKE-{folder}-{n}",
            f"U{n}",
            f"{folder}/file_{n}{suffix}",
            content,
            file_name,
            mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def _existing_file(self, file_id: Any) -> StoredFile:
        if not isinstance(file_id, str) or file_id not in self.files:
            raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return self.files[file_id]

    @staticmethod
    def _document(stored: StoredFile) -> dict:
        doc = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        if stored.file_name:
            doc["file_name"] = stored.file_name
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc

    # ------------------------------------------------------------ API methods
    async def _api_getMe(self, params, files, request):
        return self.bot_user

    async def _api_getUpdates(self, params, files, request):
        """Long polling: confirm ``offset``, then wait up to ``timeout`` s for updates."""
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        if offset > 0:
            self._queue = [
                q for q in self._queue if not (q.delivered and q.update["update_id"] < offset)
            ]
        elif offset < 0:
            self._queue = self._queue[offset:]
        deadline = asyncio.get_running_loop().time() + float(params.get("timeout") or 0)
        while not self._queue and not self._closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            await self._updates_signal.wait(remaining)
        if request.transport is None or request.transport.is_closing():
            return []  # the poller hung up: keep the updates for the next one
        batch = self._queue[:limit]
        for queued in batch:
            queued.delivered = True
        self._delivered_signal.fire()
        return [copy.deepcopy(q.update) for q in batch]

    async def _api_sendMessage(self, params, files, request):
        text = params.get("text") or ""
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        content: dict[str, Any] = {"text": text}
        if params.get("entities"):
            content["entities"] = params["entities"]
        message = self._bot_message(params, content)
        self._record("sendMessage", params, message=message, text=text)
        return message

    async def _edit(self, name: str, params: dict, new_text: str | None):
        if params.get("inline_message_id"):
            self._record(name, params, text=new_text)
            return True
        key = (params["chat_id"], int(params["message_id"]))
        old = self._messages.get(key)
        if old is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        new = {k: v for k, v in old.items() if k != "reply_markup"}
        if new_text is not None:
            if "text" not in old:
                raise _ApiError(400, "Bad Request: there is no text in the message to edit")
            new["text"] = new_text
        if markup := _inline(params.get("reply_markup")):
            new["reply_markup"] = markup  # no markup in an edit removes the keyboard
        if new.get("text") == old.get("text") and new.get("reply_markup") == old.get(
            "reply_markup"
        ):
            raise _ApiError(400, _NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        self._messages[key] = new
        self._record(name, params, message=new, text=new.get("text", new.get("caption")))
        return new

    async def _api_editMessageText(self, params, files, request):
        return await self._edit("editMessageText", params, params["text"])

    async def _api_editMessageReplyMarkup(self, params, files, request):
        return await self._edit("editMessageReplyMarkup", params, None)

    async def _api_answerCallbackQuery(self, params, files, request):
        query_id = str(params["callback_query_id"])
        if query_id not in self._open_callbacks:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_callbacks.discard(query_id)
        answer = {
            "callback_query_id": query_id,
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
        }
        self.answered_callbacks.append(answer)
        self._record("answerCallbackQuery", params, text=params.get("text"))
        return True

    async def _send_media(
        self, name: str, kind: str, params: dict, files: dict, make_content
    ) -> dict:
        upload = files.get(kind)
        if upload is not None:
            folder, suffix = ("photos", ".jpg") if kind == "photo" else ("documents", "")
            stored = self._store_file(
                upload.content, folder, suffix, upload.filename, upload.content_type
            )
        else:
            stored = self._existing_file(params.get(kind))
        content = make_content(stored)
        if params.get("caption"):
            content["caption"] = params["caption"]
        message = self._bot_message(params, content)
        self._record(name, params, files, message=message, text=params.get("caption"))
        return message

    async def _api_sendPhoto(self, params, files, request):
        def photo(stored: StoredFile) -> dict:
            return {
                "photo": [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": 1280,
                        "height": 960,
                        "file_size": len(stored.content),
                    }
                ]
            }

        return await self._send_media("sendPhoto", "photo", params, files, photo)

    async def _api_sendDocument(self, params, files, request):
        return await self._send_media(
            "sendDocument",
            "document",
            params,
            files,
            lambda stored: {"document": self._document(stored)},
        )

    async def _api_getFile(self, params, files, request):
        stored = self._existing_file(params.get("file_id"))
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _api_setMyCommands(self, params, files, request):
        self.commands = list(params["commands"])
        self._record("setMyCommands", params)
        return True

    async def _api_getMyCommands(self, params, files, request):
        return self.commands

    async def _api_setWebhook(self, params, files, request):
        self.webhook = {"url": params.get("url", ""), "secret": params.get("secret_token")}
        self._record("setWebhook", params)
        return True

    async def _api_deleteWebhook(self, params, files, request):
        if params.get("drop_pending_updates"):
            self._queue.clear()
        self.webhook = {"url": "", "secret": None}
        self._record("deleteWebhook", params)
        return True

    async def _api_getWebhookInfo(self, params, files, request):
        return {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending_updates),
        }

    async def _api_sendChatAction(self, params, files, request):
        self._record("sendChatAction", params)
        return True

    async def _api_deleteMessage(self, params, files, request):
        if self._messages.pop((params["chat_id"], int(params["message_id"])), None) is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        self._record("deleteMessage", params)
        return True

    async def _api_close(self, params, files, request):
        self._record("close", params)
        return True

    async def _api_logOut(self, params, files, request):
        self._record("logOut", params)
        return True
