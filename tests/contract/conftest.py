"""The ``chat`` fixture: the same person, on a seeded SQLite database, over every channel.

A story that a channel is known to fail is marked ``@pytest.mark.xfail_on(name, reason=)``
(strict: when the channel is fixed, the mark must go).
"""

from __future__ import annotations

import pytest

from bot.channels import registry
from storage.db import Database, upgrade


def _channels() -> list[str]:
    """Every registered channel, and its webhook variant where it has a route."""
    names = []
    for entry in registry.entries():
        names.append(entry.name)
        if entry.webhook is not None:
            names.append(f"{entry.name}_webhook")
    return names


CHANNELS = _channels()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "xfail_on(channel, reason): the story fails on that channel (strict)"
    )


def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        channel = callspec.params.get("chat", callspec.params.get("admin_chat"))
        for mark in item.iter_markers("xfail_on"):
            channels = mark.args[0] if isinstance(mark.args[0], tuple) else (mark.args[0],)
            if channel in channels:
                item.add_marker(pytest.mark.xfail(strict=True, reason=mark.kwargs["reason"]))


async def _open_chat(kind: str, role: str, tmp_path):
    """An async context manager yielding the Chat of ``role`` on channel ``kind``."""
    if kind == "terminal":
        from tests.contract.terminal_chat import terminal_chat

        return terminal_chat(tmp_path, role), None
    name = kind.removesuffix("_webhook")
    if name == "telegram":
        from tests.contract.telegram_chat import telegram_chat as harness
    elif name == "zalo":
        from tests.contract.zalo_chat import zalo_chat as harness
    else:
        pytest.fail(f"the {name} channel is registered but has no harness in tests/contract/")
    url = f"sqlite+aiosqlite:///{tmp_path / 'fieldbot.db'}"
    db = Database(url)
    await upgrade(db.engine)
    return harness(db, url, tmp_path / "media", role, webhook=kind.endswith("webhook")), db


async def _chat(kind: str, role: str, tmp_path):
    opened, db = await _open_chat(kind, role, tmp_path)
    try:
        async with opened as chat:
            yield chat
    finally:
        if db is not None:
            await db.dispose()


@pytest.fixture(params=CHANNELS)
async def chat(request, tmp_path):
    """An inspector of QLTM (supermarkets) talking to the bot."""
    async for opened in _chat(request.param, "inspector", tmp_path):
        yield opened


@pytest.fixture(params=CHANNELS)
async def admin_chat(request, tmp_path):
    """An admin of KTATMT talking to the bot."""
    async for opened in _chat(request.param, "admin", tmp_path):
        yield opened
