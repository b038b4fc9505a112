"""The conversation engine: one Inbound in, Replies out, state in the database.

Each call runs in one transaction: the update's receipt, the answer and the
run's new position are committed together, so a crash between two messages
loses nothing and a repeated delivery changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import reports
from handlers.catalog import LANGUAGES, t
from handlers.checklist import Checklist, ChecklistRegistry, Question
from handlers.messages import Choice, Inbound, Reply
from handlers.question_types import (
    QUESTION_TYPES,
    AnswerContext,
    InvalidAnswer,
    Value,
    parse_number,
    valid_coordinates,
)
from storage import people, reminders, runs, sites
from storage.db import Database
from storage.kpis import Targets
from storage.models import Answer, ChecklistRun, Deadline, Department, Person, Site, utcnow
from storage.textnorm import clean_text, fold

log = logging.getLogger(__name__)

# Longest text we look at: anything longer is refused before parsing.
MAX_INPUT = 4000


def _as_id(text: str) -> int | None:
    """A row id (or year) from button data or a typed choice; None for anything else.
    Forged data may hold any digits: int() refuses "²", and 10**20 fits no column."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _answers_the_question(payload: str) -> bool:
    """An option of the question itself ("a:run:q:yes", "m:run:q:paper"), as opposed
    to moving about (Xong, Bỏ qua, « Quay lại) or any other screen's choice."""
    parts = payload.split(":")
    return len(parts) == 4 and parts[0] in ("a", "m") and parts[3] not in ("_skip", "_done")


def _pick_by_label(text: str, choices: list[tuple[str, str]]) -> str | None:
    """The payload of the first choice whose label is the typed text, accents, case,
    marks (✅, «) and punctuation optional."""
    folded = fold(text)
    if not folded:
        return None
    return next((payload for payload, label in choices if fold(label) == folded), None)


@dataclass(frozen=True)
class EngineSettings:
    timezone: ZoneInfo
    media_dir: Path
    default_language: str = "vi"
    invite_valid_days: int = 7
    duplicate_period: str = "month"
    # For invite deep links: t.me/<bot_username>?start=<code>
    bot_username: str | None = None
    targets: Targets = field(default_factory=Targets)


class Engine:
    def __init__(self, db: Database, checklists: ChecklistRegistry, settings: EngineSettings):
        self.db = db
        self.checklists = checklists
        self.settings = settings
        self.report_settings = reports.ReportSettings(
            timezone=settings.timezone,
            out_dir=settings.media_dir / "reports",
            targets=settings.targets,
            checklists=checklists,
        )
        # SQLite has one writer at a time and every turn writes (the update's receipt).
        # Turns take their turn here, first come first served: left to SQLite's busy
        # timeout, waiting writers poll and, with many people at once, some wait past
        # the timeout and fail with "database is locked".
        self._writer = asyncio.Lock() if db.is_sqlite else contextlib.nullcontext()

    def now_local(self) -> datetime:
        return datetime.now(self.settings.timezone)

    @contextlib.asynccontextmanager
    async def transaction(self):
        """A session for one turn, behind the SQLite writer queue; the caller commits."""
        async with self._writer, self.db.session() as session:
            yield session

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """One update, start to finish, in its own transaction (the terminal, tests)."""
        photo_path = await self.prepare(inbound)
        async with self.transaction() as session:
            replies, _language = await self.apply(session, inbound, photo_path)
            await session.commit()
        return replies

    async def prepare(self, inbound: Inbound) -> Path | None:
        """Work that must not hold the database: the photo download, when expected."""
        return await self._fetch_photo_if_expected(inbound)

    async def apply(
        self, session: AsyncSession, inbound: Inbound, photo_path: Path | None = None
    ) -> tuple[list[Reply], str]:
        """The turn inside the caller's transaction (not committed here): the replies,
        and the language they are in (for channels that render them later)."""
        person = await people.find_by_account(session, inbound.channel, inbound.sender_id)
        if person is not None and not self.db.is_sqlite:
            # Several workers behind one webhook: one person's turns never overlap,
            # so each answer lands on the question that was current when it came.
            await people.lock_person(session, person.id)
        turn = Turn(self, session, inbound, person, photo_path)
        if inbound.update_key:
            try:
                claimed = await runs.claim_inbound(session, inbound.channel, inbound.update_key)
            except IntegrityError:  # the same update, claimed by another worker just now
                await session.rollback()
                claimed = False
            if not claimed:
                return [], turn.lang
        replies = await turn.dispatch()
        if turn.person is not None:
            offered = [c.payload for r in replies for c in r.choices]
            if offered:
                await runs.remember_offered(session, turn.person.id, offered)
        return replies, turn.lang

    async def _fetch_photo_if_expected(self, inbound: Inbound) -> Path | None:
        """Downloads a photo before the transaction starts (network time must not
        hold the database), and only when the sender's open run asks for one."""
        if inbound.photo is None:
            return None
        async with self.db.session() as session:
            if inbound.update_key and await runs.seen_inbound(
                session, inbound.channel, inbound.update_key
            ):
                return None  # a repeated delivery: nothing will be stored, fetch nothing
            person = await people.find_by_account(session, inbound.channel, inbound.sender_id)
            run = await runs.open_run(session, person.id) if person else None
            checklist = self.checklists.get(run.checklist_id) if run else None
            question = checklist.question(run.current_question or "") if checklist and run else None
            if not question or run.phase != "question" or question.type != "photo":
                return None
        folder = self.settings.media_dir / str(run.id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{question.id}-{uuid.uuid4().hex[:8]}.jpg"
        await inbound.photo.download(path)
        return path


class Turn:
    """One inbound message being handled."""

    def __init__(
        self,
        engine: Engine,
        session: AsyncSession,
        inbound: Inbound,
        person: Person | None,
        photo_path: Path | None,
    ) -> None:
        self.engine = engine
        self.session = session
        self.inbound = inbound
        self.person = person
        self.photo_path = photo_path
        self._answers_cache: tuple[int, dict[str, Answer]] | None = None
        # Replies that ask a question of the open run: id(reply) -> "run id:question id".
        self._asking: dict[int, str] = {}
        hint = inbound.language_hint if inbound.language_hint in LANGUAGES else None
        self.lang = person.language if person else (hint or engine.settings.default_language)

    async def _answers(self, run: ChecklistRun) -> dict[str, Answer]:
        """The run's answers, read once per turn; writes below keep this copy in step."""
        if self._answers_cache is None or self._answers_cache[0] != run.id:
            self._answers_cache = (run.id, await runs.answers_of(self.session, run.id))
        return self._answers_cache[1]

    async def _save(self, run: ChecklistRun, question_id: str, **values) -> None:
        answers = await self._answers(run)
        answers[question_id] = await runs.save_answer(
            self.session, run, question_id, existing=answers.get(question_id), **values
        )
        await self.session.flush()

    def t(self, key: str, **values) -> str:
        return t(self.lang, key, **values)

    @property
    def context(self) -> AnswerContext:
        return AnswerContext(self.lang, self.engine.now_local().date())

    # --- dispatch -----------------------------------------------------------------

    async def dispatch(self) -> list[Reply]:
        replies = await self._dispatch()
        if self.person is not None:
            await self._remember_screen(replies)
        return replies

    async def _remember_screen(self, replies: list[Reply]) -> None:
        """What a typed number or label will mean next time: the choices of this turn's
        replies, numbered in a row, and whether the last reply asks a question. A turn
        that shows neither (/help, /my) leaves the previous screen in place."""
        choices = [(c.payload, c.label) for r in replies for c in r.choices]
        asking = self._asking.get(id(replies[-1])) if replies else None
        if choices or asking:
            await runs.remember_screen(self.session, self.person.id, choices, asking)

    async def _dispatch(self) -> list[Reply]:
        inbound = self.inbound
        text = clean_text(inbound.text or "").strip()
        if len(text) > MAX_INPUT:
            return [Reply(self.t("too_long", limit=MAX_INPUT))] + await self._current_prompt()
        if self.person is None:
            return await self._stranger(text)
        if not self.person.active:
            return [Reply(self.t("account_inactive"))]
        if text.startswith("/"):
            return await self._command(text)
        # One lookup of the open run serves the typed-choice, button and answer paths.
        run = await runs.open_run(self.session, self.person.id)
        payload = clean_text(inbound.payload) if inbound.payload is not None else None
        if payload is None and text:
            payload = await self._typed_report_done(text)
            if payload is None:
                picked = await self._typed_choice(text, run)
                if isinstance(picked, list):
                    return picked
                payload = picked
        if payload is not None:
            return await self._button(payload, run)
        if run is None:
            return [Reply(self.t("no_open_run"))] + await self._menu()
        return await self._in_run(run, text)

    async def _typed_report_done(self, text: str) -> str | None:
        """ "Đã nộp báo cáo" typed (where there are no buttons) confirms the report of
        the newest reminder this person got, whatever checklist is open."""
        if fold(text) not in {fold(t(language, "button_report_done")) for language in LANGUAGES}:
            return None
        pending = await reminders.latest_unconfirmed_reminder(self.session, self.person.id)
        if pending is None:
            return None
        deadline_id, department, year = pending
        return f"rc:{deadline_id}:{year}:{department}"

    async def _typed_choice(self, text: str, run: ChecklistRun | None) -> str | list[Reply] | None:
        """A typed answer on a channel without buttons (or typed instead of pressing):
        the payload of the offered choice it names, None when it is the answer to the
        open question (or a site search), or replies asking to pick from the screen.

        A number answers the prompt on screen: the n-th offered choice, except when the
        screen is a numeric or free-text question, where the digits are the answer. On
        another screen over an open question (resume, cancel), input that picks none of
        its choices is refused rather than stored as the answer behind it."""
        screen = await runs.offered_screen(self.session, self.person.id)
        number = _as_id(text)
        if screen.legacy:  # remembered before labels were: as it was read then
            return self._legacy_typed_choice(number, run, screen.payloads)
        question = None
        if run is not None and run.phase == "question" and run.current_question:
            question = self._checklist(run).question(run.current_question)
        if question is not None and screen.question == f"{run.id}:{question.id}":
            kind = QUESTION_TYPES[question.type]
            if question.type == "text":
                return None  # a note "1" is the note (typed "bỏ qua" still skips)
            if kind.numeric and (number is not None or parse_number(text) is not None):
                return None
            if number is not None:
                index = number - 1
                return screen.choices[index][0] if index < len(screen.choices) else None
            # Option names go to the question's own reading (every language, several
            # names for a multiple choice); Xong, Bỏ qua, « Quay lại by their names.
            moves = [c for c in screen.choices if not _answers_the_question(c[0])]
            return _pick_by_label(text, moves)
        if number is not None and 1 <= number <= len(screen.choices):
            return screen.choices[number - 1][0]
        picked = _pick_by_label(text, screen.choices)
        if picked is not None or question is None or not screen.choices:
            return picked
        # The question is behind another screen: say what this one offers, again.
        offered = [Choice(label, payload) for payload, label in screen.choices]
        return [Reply(self.t("typed_not_offered", count=len(offered)), offered)]

    def _legacy_typed_choice(
        self, number: int | None, run: ChecklistRun | None, offered: list[str]
    ) -> str | None:
        if number is None:
            return None
        if run is not None and run.phase == "question":
            question = self._checklist(run).question(run.current_question or "")
            if question and (QUESTION_TYPES[question.type].numeric or question.type == "text"):
                return None
        index = number - 1
        return offered[index] if 0 <= index < len(offered) else None

    # --- strangers and registration ---------------------------------------------

    async def _stranger(self, text: str) -> list[Reply]:
        command, _, argument = text.partition(" ")
        code = argument.strip() if command.lower().startswith("/start") else ""
        if not code and people.looks_like_invite_code(text):
            code = text  # Zalo has no deep links: the code is sent as a message.
        if not code:
            return [Reply(self.t("not_registered"))]
        try:
            self.person = await people.redeem_invite(
                self.session,
                code=code,
                channel=self.inbound.channel,
                external_id=self.inbound.sender_id,
                name=clean_text(self.inbound.sender_name).strip()[:200],
                language=self.lang,
            )
        except people.PeopleError as error:
            return [Reply(self.t(error.reason))]
        welcome = self.t(
            "registered",
            name=self.person.name,
            role=self.t(f"role_{self.person.role}"),
            department=self.person.department_code,
        )
        return [Reply(welcome)] + await self._menu()

    # --- commands ------------------------------------------------------------------

    async def _command(self, text: str) -> list[Reply]:
        command, _, argument = text.partition(" ")
        command = command.lower().split("@")[0]
        argument = argument.strip()
        handlers = {
            "/start": self._cmd_start,
            "/help": self._cmd_help,
            "/lang": self._cmd_lang,
            "/my": self._cmd_my,
            "/cancel": self._cmd_cancel,
            "/back": self._cmd_back,
            "/skip": self._cmd_skip,
            "/invite": self._cmd_invite,
            "/menu": self._cmd_start,
            "/summary": self._cmd_report(reports.summary_command),
            "/export": self._cmd_report(reports.export_command),
            "/report": self._cmd_report(reports.report_command),
        }
        handler = handlers.get(command)
        if handler is None:
            return [Reply(self.t("unknown_command"))] + await self._current_prompt()
        return await handler(argument)

    async def _cmd_start(self, argument: str) -> list[Reply]:
        if argument and people.looks_like_invite_code(argument):
            return [Reply(self.t("already_registered"))] + await self._menu()
        return await self._menu()

    def _cmd_report(self, command):
        """/summary, /export, /report: handlers.reports decides who may see what."""

        async def run(argument: str) -> list[Reply]:
            if command is not reports.summary_command and not self.inbound.can_receive_files:
                if self.person.role != "admin":
                    return [Reply(self.t("admins_only"))]
                return [Reply(self.t("files_elsewhere"))]
            return await command(self.session, self.person, argument, self.engine.report_settings)

        return run

    async def _cmd_help(self, argument: str) -> list[Reply]:
        text = self.t("help_inspector")
        if self.person.role in ("head", "admin"):
            text += "\n" + self.t("help_head")
        if self.person.role == "admin":
            text += "\n" + self.t("help_admin")
        return [Reply(text)]

    async def _cmd_lang(self, argument: str) -> list[Reply]:
        if argument not in LANGUAGES:
            return [Reply(self.t("lang_usage"))]
        self.person.language = argument
        self.session.add(self.person)
        self.lang = argument
        return [Reply(self.t("lang_set"))] + await self._current_prompt()

    async def _cmd_my(self, argument: str) -> list[Reply]:
        rows = await runs.submissions_of(self.session, self.person.id, limit=10)
        if not rows:
            return [Reply(self.t("my_none"))]
        lines = [self.t("my_title")]
        for run, site in rows:
            checklist = self.engine.checklists.get(run.checklist_id)
            title = checklist.title_in(self.lang) if checklist else run.checklist_id
            when = self._local(run.submitted_at).strftime("%d/%m/%Y %H:%M")
            lines.append(f"• {when} — {title}" + (f" — {site.name}" if site else ""))
        return [Reply("\n".join(lines))]

    async def _cmd_cancel(self, argument: str) -> list[Reply]:
        run = await runs.open_run(self.session, self.person.id)
        if run is None:
            return [Reply(self.t("nothing_to_cancel"))]
        return [
            Reply(
                self.t("cancel_confirm"),
                [
                    Choice(self.t("button_cancel_yes"), f"k:{run.id}:y"),
                    Choice(self.t("button_cancel_no"), f"k:{run.id}:n"),
                ],
            )
        ]

    async def _cmd_back(self, argument: str) -> list[Reply]:
        run = await runs.open_run(self.session, self.person.id)
        if run is None:
            return [Reply(self.t("no_open_run"))] + await self._menu()
        return await self._go_back(run)

    async def _cmd_skip(self, argument: str) -> list[Reply]:
        run = await runs.open_run(self.session, self.person.id)
        if run is None or run.phase != "question":
            return [Reply(self.t("nothing_to_skip"))] + await self._current_prompt()
        return await self._skip(run)

    async def _cmd_invite(self, argument: str) -> list[Reply]:
        if self.person.role != "admin":
            return [Reply(self.t("admins_only"))]
        parts = argument.split()
        if len(parts) != 2:
            return [Reply(self.t("invite_usage"))]
        role, department = parts[0].lower(), parts[1].upper()
        try:
            invite = await people.create_invite(
                self.session,
                role=role,
                department_code=department,
                created_by_id=self.person.id,
                valid_days=self.engine.settings.invite_valid_days,
            )
        except people.PeopleError:
            return [Reply(self.t("invite_usage"))]
        username = self.engine.settings.bot_username
        link = f"https://t.me/{username}?start={invite.code}" if username else ""
        expires = self._local(invite.expires_at).strftime("%d/%m/%Y")
        return [
            Reply(
                self.t(
                    "invite_created",
                    code=invite.code,
                    link=link,
                    expires=expires,
                    role=self.t(f"role_{role}"),
                    department=department,
                )
            )
        ]

    # --- the menu and prompts ----------------------------------------------------

    async def _menu(self) -> list[Reply]:
        run = await runs.open_run(self.session, self.person.id)
        if run is not None:
            checklist = self._checklist(run)
            site = await self.session.get(Site, run.site_id) if run.site_id else None
            started = self._local(run.started_at).strftime("%d/%m/%Y %H:%M")
            text = self.t(
                "resume_offer",
                title=checklist.title_in(self.lang),
                site=site.name if site else "—",
                started=started,
            )
            return [
                Reply(
                    text,
                    [
                        Choice(self.t("button_resume"), f"r:{run.id}:c"),
                        Choice(self.t("button_discard"), f"r:{run.id}:d"),
                    ],
                )
            ]
        allowed = self.engine.checklists.for_person(self.person.role, self.person.department_code)
        if not allowed:
            return [Reply(self.t("menu_none"))]
        return [
            Reply(
                self.t("menu", name=self.person.name),
                [Choice(c.title_in(self.lang), f"cl:{c.id}") for c in allowed],
            )
        ]

    async def _current_prompt(self) -> list[Reply]:
        if self.person is None:
            return []
        run = await runs.open_run(self.session, self.person.id)
        return await self._prompt(run) if run else []

    async def _prompt(self, run: ChecklistRun) -> list[Reply]:
        checklist = self._checklist(run)
        if run.phase == "site":
            return await self._site_prompt(run, checklist)
        if run.phase == "site_duplicate":
            return await self._duplicate_prompt(run, checklist)
        if run.phase == "review":
            return await self._review_prompt(run, checklist)
        return await self._question_prompt(run, checklist)

    async def _site_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        recent = await runs.recent_sites(self.session, self.person.id, list(checklist.site_kinds))
        choices = [Choice(site.name, f"s:{run.id}:{site.id}") for site in recent]
        key = "site_prompt_recent" if recent else "site_prompt"
        return [Reply(self.t(key, title=checklist.title_in(self.lang)), choices)]

    async def _question_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        question = checklist.question(run.current_question or "")
        if question is None:  # the file changed under an open draft: move on
            return await self._advance(run, checklist, after=None)
        answers = await self._answers(run)
        kind = QUESTION_TYPES[question.type]
        relevant = self._relevant_questions(checklist, answers)
        position = relevant.index(question) + 1 if question in relevant else 1
        lines = [
            self.t("question_header", n=position, total=len(relevant)),
            question.wording(self.lang),
        ]
        existing = answers.get(question.id)
        choices = []
        if kind.toggles:
            chosen = set((existing.value_json or []) if existing else [])
            for code, label in kind.options(question, self.lang):
                mark = "✅ " if code in chosen else "▫️ "
                choices.append(Choice(mark + label, f"m:{run.id}:{question.id}:{code}"))
            choices.append(Choice(self.t("button_done"), f"m:{run.id}:{question.id}:_done"))
            lines.append(self.t("hint_multiple"))
        else:
            choices = [
                Choice(label, f"a:{run.id}:{question.id}:{code}")
                for code, label in kind.options(question, self.lang)
            ]
            if existing is not None and not existing.skipped:
                shown = kind.display(question, existing, self.lang)
                if shown:
                    lines.append(self.t("current_answer", value=shown))
            hint = self.t(f"hint_{question.type}")
            if hint:
                lines.append(hint)
        if not question.required:
            choices.append(Choice(self.t("button_skip"), f"a:{run.id}:{question.id}:_skip"))
        if position > 1 or checklist.needs_site:
            choices.append(Choice(self.t("button_back"), f"b:{run.id}"))
        reply = Reply("\n".join(lines), choices, expects_number=kind.numeric)
        self._asking[id(reply)] = f"{run.id}:{question.id}"
        return [reply]

    async def _review_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        answers = await self._answers(run)
        site = await self.session.get(Site, run.site_id) if run.site_id else None
        lines = [self.t("review_title", title=checklist.title_in(self.lang))]
        if site:
            lines.append(self.t("review_site", site=site.name))
        choices = []
        for number, question in enumerate(self._relevant_questions(checklist, answers), 1):
            answer = answers.get(question.id)
            if answer is None or answer.skipped:
                shown = self.t("answer_skipped")
            else:
                shown = QUESTION_TYPES[question.type].display(question, answer, self.lang)
            lines.append(f"{number}. {question.wording(self.lang)}\n   → {shown}")
            choices.append(Choice(self.t("button_edit", n=number), f"e:{run.id}:{question.id}"))
        lines.append(self.t("review_hint"))
        choices.append(Choice(self.t("button_submit"), f"x:{run.id}"))
        return [Reply("\n".join(lines), choices)]

    async def _duplicate_prompt(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        found = await self._recent_check(checklist, run.pending_site_id)
        if found is None:  # the earlier check was replaced meanwhile: just go on
            return await self._use_site(run, checklist, run.pending_site_id, check_recent=False)
        earlier, inspector = found
        site = await self.session.get(Site, run.pending_site_id)
        text = self.t(
            "site_checked_recently",
            site=site.name,
            who=inspector.name,
            when=self._local(earlier.submitted_at).strftime("%d/%m/%Y %H:%M"),
        )
        return [
            Reply(
                text,
                [
                    Choice(self.t("button_update_check"), f"u:{run.id}:u"),
                    Choice(self.t("button_new_check"), f"u:{run.id}:n"),
                ],
            )
        ]

    # --- buttons ---------------------------------------------------------------------

    async def _button(self, payload: str, run: ChecklistRun | None) -> list[Reply]:
        """Every payload names the run it belongs to; a payload that does not fit the
        open run exactly (old question, other person's run, garbage) writes nothing."""
        parts = payload.split(":")
        kind = parts[0]
        if kind == "cl" and len(parts) == 2:
            return await self._start_checklist(parts[1])
        if kind == "rc" and len(parts) == 4:
            # A reminder's "report submitted": answered without touching an open checklist.
            return await self._confirm_report(parts[1], parts[2], parts[3])
        if run is None or len(parts) < 2 or parts[1] != str(run.id):
            return await self._stale(run)
        checklist = self._checklist(run)
        if kind == "r" and len(parts) == 3:
            if parts[2] == "c":
                return await self._prompt(run)
            if parts[2] == "d":
                return await self._discard(run)
        elif kind == "k" and len(parts) == 3:
            if parts[2] == "y":
                return await self._discard(run)
            if parts[2] == "n":
                return [Reply(self.t("cancel_kept"))] + await self._prompt(run)
        elif kind == "b" and len(parts) == 2:
            return await self._go_back(run)
        elif kind == "s" and len(parts) == 3 and run.phase == "site" and _as_id(parts[2]):
            return await self._pick_site(run, checklist, _as_id(parts[2]))
        elif kind == "u" and len(parts) == 3 and run.phase == "site_duplicate":
            return await self._resolve_duplicate(run, checklist, parts[2])
        elif kind == "e" and len(parts) == 3 and run.phase == "review":
            return await self._edit(run, checklist, parts[2])
        elif kind == "x" and len(parts) == 2 and run.phase == "review":
            return await self._submit(run, checklist)
        elif (
            kind in ("a", "m")
            and len(parts) == 4
            and run.phase == "question"
            and parts[2] == run.current_question
        ):
            question = checklist.question(parts[2])
            toggles = question is not None and QUESTION_TYPES[question.type].toggles
            # A toggle only on a multiple choice; a single answer only elsewhere.
            if question is not None and kind == "m" and toggles:
                return await self._toggle(run, checklist, question, parts[3])
            if question is not None and kind == "a":
                if parts[3] == "_skip":
                    return await self._skip(run)
                if toggles:
                    return await self._stale(run)
                try:
                    value = QUESTION_TYPES[question.type].parse_option(
                        question, parts[3], self.context
                    )
                except InvalidAnswer:
                    return await self._stale(run)
                return await self._store(run, checklist, question, value)
        return await self._stale(run)

    async def _confirm_report(self, deadline_id: str, year: str, department: str):
        deadline = (
            await self.session.get(Deadline, _as_id(deadline_id)) if _as_id(deadline_id) else None
        )
        sane_years = range(
            self.engine.settings.targets.start_year, self.engine.now_local().year + 2
        )
        if (
            deadline is None
            or _as_id(year) not in sane_years
            or not re.fullmatch(r"[A-Z0-9_]{1,16}", department)
            or await self.session.get(Department, department) is None
        ):
            return await self._stale(await runs.open_run(self.session, self.person.id))
        if self.person.role != "admin" and not (
            self.person.role == "head" and self.person.department_code == department
        ):
            return [Reply(self.t("report_not_yours"))]
        _row, created = await reminders.confirm_report(
            self.session, deadline.id, department, int(year), self.person.id
        )
        title = deadline.title_en if self.lang == "en" else deadline.title_vi
        key = "report_confirmed" if created else "report_already_confirmed"
        return [Reply(self.t(key, department=department, title=title, year=year))]

    async def _stale(self, run: ChecklistRun | None) -> list[Reply]:
        replies = [Reply(self.t("stale_button"))]
        return replies + (await self._prompt(run) if run else await self._menu())

    # --- starting, sites --------------------------------------------------------------

    async def _start_checklist(self, checklist_id: str) -> list[Reply]:
        checklist = self.engine.checklists.get(checklist_id)
        if checklist is None or not checklist.allowed_for(
            self.person.role, self.person.department_code
        ):
            return [Reply(self.t("stale_button"))] + await self._menu()
        if await runs.open_run(self.session, self.person.id) is not None:
            return await self._menu()  # finish or discard the open draft first
        run = ChecklistRun(
            person_id=self.person.id,
            checklist_id=checklist.id,
            checklist_version=checklist.version,
            channel=self.inbound.channel,
            phase="site" if checklist.needs_site else "question",
        )
        self.session.add(run)
        await self.session.flush()
        if not checklist.needs_site:
            return await self._advance(run, checklist, after=None)
        return await self._site_prompt(run, checklist)

    async def _find_sites(self, run: ChecklistRun, checklist: Checklist, text: str):
        kinds = list(checklist.site_kinds)
        if self.inbound.location is not None:
            lat, lon = self.inbound.location
            if not valid_coordinates(lat, lon):
                return [Reply(self.t("location_out_of_range"))] + await self._site_prompt(
                    run, checklist
                )
            found = await sites.nearest_sites(self.session, lat, lon, kinds, limit=5)
            if not found:
                return [Reply(self.t("site_none_near"))] + await self._site_prompt(run, checklist)
            choices = [
                Choice(f"{site.name} ({distance:.1f} km)", f"s:{run.id}:{site.id}")
                for site, distance in found
            ]
            return [Reply(self.t("site_nearest"), choices)]
        if len(text) < 2:
            return await self._site_prompt(run, checklist)
        matches = await sites.search_sites(self.session, text, kinds, limit=8)
        if not matches:
            return [Reply(self.t("site_not_found", query=text))]
        choices = [Choice(site.name, f"s:{run.id}:{site.id}") for site in matches]
        return [Reply(self.t("site_matches", count=len(matches)), choices)]

    async def _recent_check(self, checklist: Checklist, site_id: int):
        now = self.engine.now_local()
        period = self.engine.settings.duplicate_period
        if period == "year":
            start = now.replace(month=1, day=1)
        elif period == "quarter":
            start = now.replace(month=(now.month - 1) // 3 * 3 + 1, day=1)
        else:
            start = now.replace(day=1)
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
        return await runs.latest_check_since(self.session, checklist.id, site_id, start)

    async def _pick_site(self, run: ChecklistRun, checklist: Checklist, site_id: int):
        site = await self.session.get(Site, site_id)
        if site is None or site.kind not in checklist.site_kinds or site.status == "closed":
            return await self._stale(run)
        return await self._use_site(run, checklist, site_id, check_recent=True)

    async def _use_site(self, run, checklist, site_id, check_recent: bool) -> list[Reply]:
        if check_recent and await self._recent_check(checklist, site_id) is not None:
            run.phase = "site_duplicate"
            run.pending_site_id = site_id
            self._touch(run)
            return await self._duplicate_prompt(run, checklist)
        run.site_id = site_id
        run.pending_site_id = None
        site = await self.session.get(Site, site_id)
        replies = await self._advance(run, checklist, after=None)
        # One message, not two: on a slow phone (and under Telegram's rate limit)
        # every extra message is felt.
        replies[0].text = f"{self.t('site_chosen', site=site.name)}\n\n{replies[0].text}"
        return replies

    async def _resolve_duplicate(self, run, checklist, choice: str) -> list[Reply]:
        if choice == "n":
            return await self._use_site(run, checklist, run.pending_site_id, check_recent=False)
        if choice != "u":
            return await self._stale(run)
        found = await self._recent_check(checklist, run.pending_site_id)
        if found is None:
            return await self._use_site(run, checklist, run.pending_site_id, check_recent=False)
        earlier, _inspector = found
        await runs.copy_answers(self.session, earlier.id, run)
        self._answers_cache = None
        run.site_id, run.pending_site_id = run.pending_site_id, None
        run.supersedes_id = earlier.id
        run.phase, run.current_question = "review", None
        self._touch(run)
        await self.session.flush()
        return [Reply(self.t("update_started"))] + await self._review_prompt(run, checklist)

    # --- answering ----------------------------------------------------------------------

    async def _in_run(self, run: ChecklistRun, text: str) -> list[Reply]:
        checklist = self._checklist(run)
        if run.phase == "site":
            return await self._find_sites(run, checklist, text)
        if run.phase != "question":
            return [Reply(self.t("use_buttons"))] + await self._prompt(run)
        question = checklist.question(run.current_question or "")
        if question is None:
            return await self._advance(run, checklist, after=None)
        kind = QUESTION_TYPES[question.type]
        if question.type == "photo":
            if self.photo_path is None:
                if not question.required and self._is_skip_word(text):
                    return await self._skip(run)  # typed "bỏ qua", as for every other type
                return [Reply(self.t("expect_photo"))] + await self._question_prompt(run, checklist)
            value = Value(text=str(self.photo_path))
        elif question.type == "location" and self.inbound.location is not None:
            lat, lon = self.inbound.location
            if not valid_coordinates(lat, lon):
                return [Reply(self.t("location_out_of_range"))] + await self._question_prompt(
                    run, checklist
                )
            value = Value(json={"lat": float(lat), "lon": float(lon)})
        elif not text:
            return [Reply(self.t("expect_text_input"))] + await self._question_prompt(
                run, checklist
            )
        elif not question.required and self._is_skip_word(text):
            return await self._skip(run)
        else:
            try:
                value = kind.parse(question, text, self.context)
            except InvalidAnswer as invalid:
                return [Reply(invalid.message)] + await self._question_prompt(run, checklist)
            if kind.toggles:
                # Typed names add to what is ticked already, as pressing them would.
                existing = (await self._answers(run)).get(question.id)
                ticked = existing.value_json if existing and not existing.skipped else None
                ticked = [c for c in ticked or [] if question.option(c) is not None]
                value = Value(json=kind.ordered(question, ticked + value.json))
        return await self._store(run, checklist, question, value)

    @staticmethod
    def _is_skip_word(text: str) -> bool:
        from storage.textnorm import fold

        return fold(text) in ("bo qua", "skip", "bq")

    async def _store(self, run, checklist, question: Question, value: Value) -> list[Reply]:
        if not QUESTION_TYPES[question.type].valid(question, value):
            return await self._stale(run)  # never stored, whatever a payload said
        await self._save(
            run,
            question.id,
            value_text=value.text,
            value_number=value.number,
            value_date=value.date,
            value_json=value.json,
        )
        return await self._advance(run, checklist, after=question.id)

    async def _skip(self, run: ChecklistRun) -> list[Reply]:
        checklist = self._checklist(run)
        question = checklist.question(run.current_question or "")
        if question is None or question.required:
            return [Reply(self.t("cannot_skip"))] + await self._prompt(run)
        await self._save(run, question.id, skipped=True)
        return await self._advance(run, checklist, after=question.id)

    async def _toggle(self, run, checklist, question: Question, code: str) -> list[Reply]:
        answers = await self._answers(run)
        existing = answers.get(question.id)
        chosen = list((existing.value_json or []) if existing else [])
        if code == "_done":
            if not chosen:
                return [Reply(self.t("expect_select_multiple"))] + await self._question_prompt(
                    run, checklist
                )
            return await self._advance(run, checklist, after=question.id)
        if question.option(code) is None:
            return await self._stale(run)
        chosen = [c for c in chosen if question.option(c) is not None]
        chosen = [c for c in chosen if c != code] if code in chosen else chosen + [code]
        if not chosen:  # the last tick undone: no answer rather than an empty one
            if existing is not None:
                await runs.delete_answers(self.session, run.id, [question.id])
                self._answers_cache = None
            return await self._question_prompt(run, checklist)
        # Kept in the options' order, so exports read the same whatever the tapping order.
        await self._save(
            run, question.id, value_json=QUESTION_TYPES[question.type].ordered(question, chosen)
        )
        return await self._question_prompt(run, checklist)

    # --- moving through the checklist ----------------------------------------------

    def _relevant(
        self, question: Question, answers: dict[str, Answer], checklist: Checklist
    ) -> bool:
        for condition in question.relevant:
            answer = answers.get(condition.question_id)
            earlier = checklist.question(condition.question_id)
            if answer is None or answer.skipped or earlier is None:
                return False
            if not condition.holds(QUESTION_TYPES[earlier.type].comparable(answer)):
                return False
        return True

    def _relevant_questions(self, checklist: Checklist, answers: dict[str, Answer]):
        return [q for q in checklist.questions if self._relevant(q, answers, checklist)]

    async def _advance(self, run, checklist: Checklist, after: str | None) -> list[Reply]:
        """Moves to the next question that applies; after an edit from the review,
        to the first relevant unanswered one, or back to the review."""
        answers = await self._answers(run)
        relevant = self._relevant_questions(checklist, answers)
        if run.editing or after is None and run.phase == "review":
            target = next((q for q in relevant if q.id not in answers), None)
        else:
            start = checklist.index_of(after) + 1 if after else 0
            target = next((q for q in relevant if checklist.index_of(q.id) >= start), None)
        if target is None:
            run.phase, run.current_question, run.editing = "review", None, False
            self._touch(run)
            return await self._review_prompt(run, checklist)
        run.phase, run.current_question = "question", target.id
        self._touch(run)
        return await self._question_prompt(run, checklist)

    async def _go_back(self, run: ChecklistRun) -> list[Reply]:
        checklist = self._checklist(run)
        if run.phase in ("site", "site_duplicate"):
            run.phase, run.pending_site_id = "site", None
            self._touch(run)
            return await self._site_prompt(run, checklist)
        answers = await self._answers(run)
        relevant = self._relevant_questions(checklist, answers)
        if run.phase == "review":
            previous = relevant[-1] if relevant else None
        else:
            here = checklist.index_of(run.current_question) if run.current_question else 0
            earlier = [q for q in relevant if checklist.index_of(q.id) < here]
            previous = earlier[-1] if earlier else None
        if previous is None:
            if checklist.needs_site and run.supersedes_id is None:
                run.phase, run.site_id, run.current_question = "site", None, None
                self._touch(run)
                return await self._site_prompt(run, checklist)
            return [Reply(self.t("at_first_question"))] + await self._prompt(run)
        run.phase, run.current_question, run.editing = "question", previous.id, False
        self._touch(run)
        return await self._question_prompt(run, checklist)

    async def _edit(self, run, checklist: Checklist, question_id: str) -> list[Reply]:
        question = checklist.question(question_id)
        if question is None:
            return await self._stale(run)
        run.phase, run.current_question, run.editing = "question", question.id, True
        self._touch(run)
        return await self._question_prompt(run, checklist)

    async def _submit(self, run: ChecklistRun, checklist: Checklist) -> list[Reply]:
        answers = await self._answers(run)
        relevant = self._relevant_questions(checklist, answers)
        missing = [q for q in relevant if q.id not in answers]
        if missing:
            run.phase, run.current_question, run.editing = "question", missing[0].id, True
            self._touch(run)
            return [Reply(self.t("answer_missing"))] + await self._question_prompt(run, checklist)
        # Answers to questions that no longer apply (an edit changed a condition) go.
        await runs.delete_answers(
            self.session, run.id, [q for q in answers if q not in {r.id for r in relevant}]
        )
        self._answers_cache = None
        if run.supersedes_id:
            earlier = await self.session.get(ChecklistRun, run.supersedes_id)
            if earlier is not None and earlier.status == "submitted":
                earlier.status = "superseded"
                self.session.add(earlier)
        run.status, run.phase, run.current_question = "submitted", "review", None
        run.submitted_at = utcnow()
        self._touch(run)
        when = self._local(run.submitted_at).strftime("%d/%m/%Y %H:%M")
        return [Reply(self.t("submitted", title=checklist.title_in(self.lang), when=when))]

    async def _discard(self, run: ChecklistRun) -> list[Reply]:
        run.status = "cancelled"
        self._touch(run)
        await self.session.flush()
        return [Reply(self.t("cancelled"))] + await self._menu()

    # --- small things ------------------------------------------------------------------

    def _checklist(self, run: ChecklistRun) -> Checklist:
        checklist = self.engine.checklists.get(run.checklist_id)
        if checklist is None:
            raise LookupError(f"checklist {run.checklist_id!r} of run {run.id} is not loaded")
        return checklist

    def _touch(self, run: ChecklistRun) -> None:
        run.updated_at = utcnow()
        self.session.add(run)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.engine.settings.timezone)
