"""Personal data, the parts that need no database: settings, the notice's text, the
buttons' payloads, and which questions hold photos (for the retention purge)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.catalog import t
from handlers.checklist import ChecklistRegistry


@dataclass(frozen=True)
class PrivacySettings:
    """The [privacy] section of the configuration (see config.example.toml)."""

    notice_version: str = "2026-01"
    retention_years: int = 5
    draft_days: int = 30
    message_days: int = 90
    pseudonym: str = "Cán bộ #{number}"

    @classmethod
    def from_config(cls, section: dict) -> PrivacySettings:
        return cls(**{key: section[key] for key in cls.__dataclass_fields__ if key in section})


def notice_text(language: str, settings: PrivacySettings) -> str:
    """What is stored, why, for how long and who sees it (Law 91/2025/QH15)."""
    return t(
        language,
        "privacy_notice",
        years=settings.retention_years,
        draft_days=settings.draft_days,
        message_days=settings.message_days,
        version=settings.notice_version,
    )


# --- payloads ----------------------------------------------------------------------------
# pv:yes / pv:no answer the notice at registration; pv:forget confirms a /forget;
# fg:<request id>:yes|no is an admin's decision. Tags unused by handlers/payloads/.

CONSENT_YES, CONSENT_NO, FORGET_CONFIRM, FORGET_KEEP = "pv:yes", "pv:no", "pv:forget", "pv:keep"
_OWN = {CONSENT_YES, CONSENT_NO, FORGET_CONFIRM, FORGET_KEEP}
_DECISION = re.compile(r"fg:([1-9][0-9]{0,8}):(yes|no)")


def decision_payload(request_id: int, approve: bool) -> str:
    return f"fg:{request_id}:{'yes' if approve else 'no'}"


def read_decision(payload: str) -> tuple[int, bool] | None:
    """(request id, approve) of an admin's button, None for anything else."""
    match = _DECISION.fullmatch(payload)
    return (int(match.group(1)), match.group(2) == "yes") if match else None


def is_privacy_payload(payload: str | None) -> bool:
    return payload is not None and (payload in _OWN or read_decision(payload) is not None)


# --- retention -------------------------------------------------------------------------------


def photo_questions(registry: ChecklistRegistry) -> set[tuple[str, str]]:
    """(checklist id, question id) of every photo question the loaded checklists have."""
    return {
        (checklist.id, question.id)
        for checklist in registry.by_id.values()
        for question in checklist.questions
        if question.type == "photo"
    }
