"""What flows between a channel and the engine: Inbound in, Reply out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Choice:
    """One offered answer: a button on Telegram, a numbered line elsewhere."""

    label: str
    payload: str


@dataclass(frozen=True)
class PhotoRef:
    """A photo the channel can fetch on demand (only when a photo is expected)."""

    key: str
    download: Callable[[Path], Awaitable[None]]
    # Bytes, as the messenger announced it (Telegram does; Zalo does not): a photo over
    # the limit is refused before anything is downloaded.
    size: int | None = None


class PhotoTooLarge(Exception):
    """Raised by a download that finds the photo over the limit before reading it all."""

    def __init__(self, size: int) -> None:
        super().__init__(f"photo of {size} bytes")
        self.size = size


@dataclass(frozen=True)
class Inbound:
    channel: str
    sender_id: str
    sender_name: str = ""
    language_hint: str | None = None
    text: str | None = None
    payload: str | None = None
    photo: PhotoRef | None = None
    location: tuple[float, float] | None = None
    # The messenger's id of this update, so a repeated delivery is applied once.
    update_key: str | None = None
    # Whether the channel can deliver documents (Zalo cannot): if not, /export and
    # /report say where to get the file instead of building it for nothing.
    can_receive_files: bool = True
    # Whether the channel shows choices as buttons (and a location button): if not,
    # choices are a numbered list and texts must not say "bấm" (press) or "📎 → Vị trí".
    # Off unless the channel says so (its registry capabilities, bot/channels/registry.py).
    can_show_buttons: bool = False
    # The messenger's id of the message whose button was pressed (Telegram), so the
    # reply can edit that message in place instead of sending a copy.
    message_ref: str | None = None


@dataclass
class Reply:
    text: str
    choices: list[Choice] = field(default_factory=list)
    picture: Path | None = None
    file: Path | None = None
    file_name: str | None = None
    # The open question wants a typed number: on channels without buttons a digit
    # is the answer itself, so the choices are shown as examples, not numbered.
    expects_number: bool = False
    # Edit in place, where the channel can: the message this reply takes the place
    # of, either a messenger message id (a pressed message) or the ``key`` of an
    # earlier reply. Channels that cannot edit send it as a new message.
    replaces: str | None = None
    # Only worth showing as an edit (a question once answered, without its buttons):
    # left out where it cannot replace its message.
    edit_only: bool = False
    # The name this reply's message is remembered by, for a later ``replaces``.
    key: str | None = None
    # The question wants the sender's location: a "📍 Gửi vị trí" keyboard button.
    asks_location: bool = False


# Telegram's limit; Zalo's (2,000) is smaller and passed explicitly.
TEXT_LIMIT = 4096


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most ``limit`` characters, cut at a line break where possible,
    else at a space, and only inside a word when a word is longer than a part."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        head = text[:cut].rstrip()
        if head:
            parts.append(head)
        text = text[cut:].lstrip("\n ")
    if text.strip() or not parts:
        parts.append(text)
    return parts


def reply_to_json(reply: Reply) -> dict:
    """A reply as the outbox stores it (plain JSON; paths as strings)."""
    return {
        "text": reply.text,
        "choices": [[choice.label, choice.payload] for choice in reply.choices],
        "picture": str(reply.picture) if reply.picture else None,
        "file": str(reply.file) if reply.file else None,
        "file_name": reply.file_name,
        "expects_number": reply.expects_number,
        "replaces": reply.replaces,
        "edit_only": reply.edit_only,
        "key": reply.key,
        "asks_location": reply.asks_location,
    }


def reply_from_json(data: dict) -> Reply:
    return Reply(
        text=data.get("text") or "",
        choices=[Choice(label, payload) for label, payload in data.get("choices") or []],
        picture=Path(data["picture"]) if data.get("picture") else None,
        file=Path(data["file"]) if data.get("file") else None,
        file_name=data.get("file_name"),
        expects_number=bool(data.get("expects_number")),
        replaces=data.get("replaces"),
        edit_only=bool(data.get("edit_only")),
        key=data.get("key"),
        asks_location=bool(data.get("asks_location")),
    )
