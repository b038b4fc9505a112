"""Tests known to fail at the end of a session, listed by node id in
tests/known_failures.txt with the reason, so that the rest of the suite still guards
main. Each one is marked xfail (not strict: a fixed one simply passes) and the list is
named in the closing note; it is a debt to pay first, not a way to hide a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

LIST = Path(__file__).with_name("known_failures.txt")


def _known() -> dict[str, str]:
    known: dict[str, str] = {}
    if not LIST.exists():
        return known
    reason = "known failure"
    for line in LIST.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("# "):
            reason = line[2:]
        elif line and not line.startswith("#"):
            known[line] = reason
    return known


def _marker(entry: str, reason: str) -> pytest.MarkDecorator:
    # An error outside the test body (a fixture, the log audit at teardown) is not
    # covered by xfail: such an entry, written "skip: <node id>", is skipped instead.
    if entry.startswith("skip: "):
        return pytest.mark.skip(reason=f"known failure: {reason}")
    return pytest.mark.xfail(reason=reason, strict=False)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # FIELDBOT_IGNORE_KNOWN_FAILURES=1 runs the listed tests as plain tests, to see
    # which of them still fail.
    if os.environ.get("FIELDBOT_IGNORE_KNOWN_FAILURES") == "1":
        return
    known = _known()
    for item in items:
        module = item.nodeid.split("::")[0]
        for entry in (item.nodeid, f"skip: {item.nodeid}", module):
            if entry in known:
                item.add_marker(_marker(entry, known[entry]))
