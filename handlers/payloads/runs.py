"""The menu's and the open checklist run's payloads (handlers/conversation/), and the
reminder's "report submitted"."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.payloads.base import Payload


@dataclass(frozen=True)
class OpenChecklist(Payload):
    tag = "cl"
    checklist_id: str


@dataclass(frozen=True)
class ConfirmReport(Payload):
    """A reminder's "report submitted" (answered whatever checklist is open)."""

    tag = "rc"
    deadline_id: int
    year: int
    department: str


@dataclass(frozen=True)
class ResumeRun(Payload):
    tag, suffix = "r", "c"
    run_id: int


@dataclass(frozen=True)
class DiscardRun(Payload):
    tag, suffix = "r", "d"
    run_id: int


@dataclass(frozen=True)
class ConfirmCancel(Payload):
    tag, suffix = "k", "y"
    run_id: int


@dataclass(frozen=True)
class KeepRun(Payload):
    tag, suffix = "k", "n"
    run_id: int


@dataclass(frozen=True)
class Back(Payload):
    tag = "b"
    run_id: int


@dataclass(frozen=True)
class PickSite(Payload):
    tag = "s"
    run_id: int
    site_id: int


@dataclass(frozen=True)
class UpdateCheck(Payload):
    """The site was checked recently: update that check."""

    tag, suffix = "u", "u"
    run_id: int


@dataclass(frozen=True)
class NewCheck(Payload):
    """The site was checked recently: file a new check all the same."""

    tag, suffix = "u", "n"
    run_id: int


@dataclass(frozen=True)
class Edit(Payload):
    tag = "e"
    run_id: int
    question_id: str


@dataclass(frozen=True)
class Submit(Payload):
    tag = "x"
    run_id: int


@dataclass(frozen=True)
class Skip(Payload):
    tag, suffix = "a", "_skip"
    run_id: int
    question_id: str


@dataclass(frozen=True)
class Pick(Payload):
    """One answer to the question (a yes/no, an option, a quick number, "today")."""

    tag = "a"
    run_id: int
    question_id: str
    code: str


@dataclass(frozen=True)
class Done(Payload):
    """A multiple choice is ticked as wanted."""

    tag, suffix = "m", "_done"
    run_id: int
    question_id: str


@dataclass(frozen=True)
class Toggle(Payload):
    """Ticks or unticks one option of a multiple choice."""

    tag = "m"
    run_id: int
    question_id: str
    code: str


# --- fewer steps (issue 12): start at a recent site, page through a search, say a
# site is missing, reuse the last check's answers.


@dataclass(frozen=True)
class StartAt(Payload):
    """The menu's recent site: start this checklist there in one step."""

    tag = "sa"
    checklist_id: str
    site_id: int


@dataclass(frozen=True)
class SitePage(Payload):
    """The next page of a site search (the folded query travels along)."""

    tag = "sp"
    run_id: int
    page: int
    query: str


@dataclass(frozen=True)
class NotThisSite(Payload):
    """The one site a search found is not the one: back to the search."""

    tag, suffix = "sn", "n"
    run_id: int


@dataclass(frozen=True)
class ProposeSite(Payload):
    """The site is not on the list: the next message proposes it to an admin."""

    tag, suffix = "sn", "p"
    run_id: int


@dataclass(frozen=True)
class ReuseAnswers(Payload):
    """Fill the draft with the answers of the site's last check (``source_id``)."""

    tag = "ru"
    run_id: int
    source_id: int


FEWER_STEPS_KINDS: tuple[type[Payload], ...] = (
    StartAt,
    SitePage,
    NotThisSite,
    ProposeSite,
    ReuseAnswers,
)
