"""The channels fieldbot knows, in the order reminders try them (buttons first).

An entry is data: the channel's capabilities, where its class is (imported only
when the channel is used: python-telegram-bot takes a while to import), which
configuration key turns it on in `fieldbot run`, and its webhook route if it has
one. `fieldbot run` (bot/runner.py), the webhook server (bot/webhook.py),
`fieldbot webhook` (bot/cli/webhook.py) and the reminders (bot/notify.py) read
the registry; none of them names a messenger. A new messenger is its module here
plus one entry below (and its harness in tests/contract/).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.channels import Capabilities

if TYPE_CHECKING:
    from bot.config import Config
    from handlers.engine import Engine

# A channel the registry does not know shows nothing special.
PLAIN = Capabilities()


@dataclass(frozen=True)
class WebhookRoute:
    """POST ``path`` carries the messenger's updates when [webhook] url is set."""

    path: str
    secret_header: str  # where the platform puts [webhook] secret
    # "module:function": body -> (update key, sender, raw) for the inbox, None for a
    # body that is not an update (answered 400).
    row_of: str
    # "module:function": async (config, action, url, secret) -> one line for
    # `fieldbot webhook set|delete|info` (action "set" registers ``url``).
    admin: str
    # What the platform is answered once the update is stored (None: a plain "ok").
    answer: dict | None = None


@dataclass(frozen=True)
class ChannelEntry:
    name: str
    capabilities: Capabilities
    # "module:Class", called as Class(config, engine); None for a channel that runs
    # on its own (the terminal: bot/channels/terminal.py converses directly).
    factory: str | None = None
    # The [section] key whose value turns the channel on in `fieldbot run`; None for
    # a channel that `fieldbot run` never starts (the terminal is `fieldbot demo`).
    token: tuple[str, str] | None = None
    webhook: WebhookRoute | None = None

    def configured(self, config: Config) -> bool:
        if self.token is None:
            return False
        section, key = self.token
        return bool(config.values.get(section, {}).get(key))

    def build(self, config: Config, engine: Engine) -> Any:
        if self.factory is None:
            raise ValueError(f"the {self.name} channel is not built by `fieldbot run`")
        return load(self.factory)(config, engine)


_REGISTRY: dict[str, ChannelEntry] = {}


def register(entry: ChannelEntry) -> ChannelEntry:
    _REGISTRY[entry.name] = entry
    return entry


@contextmanager
def registered(entry: ChannelEntry) -> Iterator[ChannelEntry]:
    """``entry`` in the registry for a while (tests: a messenger that does not exist)."""
    before = _REGISTRY.get(entry.name)
    register(entry)
    try:
        yield entry
    finally:
        if before is None:
            _REGISTRY.pop(entry.name, None)
        else:
            _REGISTRY[entry.name] = before


def entries() -> list[ChannelEntry]:
    return list(_REGISTRY.values())


def entry(name: str) -> ChannelEntry | None:
    return _REGISTRY.get(name)


def capabilities_of(name: str) -> Capabilities:
    known = _REGISTRY.get(name)
    return known.capabilities if known else PLAIN


def preference(name: str) -> int:
    """A channel's place when a person has several accounts (unknown ones last)."""
    names = list(_REGISTRY)
    return names.index(name) if name in names else len(names)


def configured(config: Config) -> list[ChannelEntry]:
    """The channels `fieldbot run` starts with this configuration."""
    return [known for known in _REGISTRY.values() if known.configured(config)]


def build_channels(config: Config, engine: Engine) -> dict[str, Any]:
    return {known.name: known.build(config, engine) for known in configured(config)}


@cache
def load(path: str) -> Any:
    """The object named "module:attribute", imported on first use."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


register(
    ChannelEntry(
        "telegram",
        Capabilities(buttons=True, edit=True, files=True, location=True),
        factory="bot.channels.telegram:TelegramChannel",
        token=("telegram", "token"),
        webhook=WebhookRoute(
            "/telegram",
            "X-Telegram-Bot-Api-Secret-Token",
            row_of="bot.channels.telegram:webhook_row",
            admin="bot.channels.telegram:webhook_admin",
        ),
    )
)
register(
    ChannelEntry(
        "zalo",
        # Photos come in, but no buttons, edits, documents or shared locations.
        Capabilities(),
        factory="bot.channels.zalo:ZaloChannel",
        token=("zalo", "token"),
        webhook=WebhookRoute(
            "/zalo",
            "X-Bot-Api-Secret-Token",
            row_of="bot.channels.zalo:webhook_row",
            admin="bot.channels.zalo:webhook_admin",
            answer={"ok": True},
        ),
    )
)
# The terminal prints a file's path, so /export and /report build the file.
register(ChannelEntry("terminal", Capabilities(files=True)))
