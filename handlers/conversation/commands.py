"""Slash commands: /start /menu /help /lang /my /cancel /back /skip /invite, and
/summary /export /report (whose reading is done before the turn: engine.prepare)."""

from __future__ import annotations

from handlers import payloads
from handlers.catalog import LANGUAGES
from handlers.conversation.base import TurnBase
from handlers.messages import Choice, Reply
from storage import people, reminders, runs
from storage import web as web_links
from storage.models import Department
from storage.textnorm import fold

# The admin's reports: read outside the turn's transaction and the SQLite writer
# queue (engine.prepare), so no inspector's turn waits for an export.
REPORT_COMMANDS = ("/summary", "/export", "/report")


def command_word(text: str) -> tuple[str, str]:
    """("/export", "2025") from "/Export@fieldbot_bot  2025"."""
    command, _, argument = text.partition(" ")
    return command.lower().split("@")[0], argument.strip()


class Commands(TurnBase):
    async def _command(self, text: str) -> list[Reply]:
        command, argument = command_word(text)
        handlers = {
            "/start": self._cmd_start,
            "/help": self._cmd_help,
            "/lang": self._cmd_lang,
            "/my": self._cmd_my,
            "/cancel": self._cmd_cancel,
            "/back": self._cmd_back,
            "/skip": self._cmd_skip,
            "/invite": self._cmd_invite,
            "/web": self._cmd_web,
            "/menu": self._cmd_start,
            **{name: self._cmd_report(name) for name in REPORT_COMMANDS},
        }
        handler = handlers.get(command)
        if handler is None:
            return [Reply(self.t("unknown_command"))] + await self._current_prompt()
        return await handler(argument)

    async def _cmd_web(self, argument: str) -> list[Reply]:
        """/web: a one-time sign-in link to the office web console (10 minutes, once)."""
        base_url = self.engine.settings.web_base_url
        if not base_url:
            return [Reply(self.t("web_chat_disabled"))]
        link = await web_links.create_login_link(self.session, self.person, base_url)
        return [Reply(self.t("web_chat_link", link=link))]

    async def _cmd_start(self, argument: str) -> list[Reply]:
        if argument and people.looks_like_invite_code(argument):
            return [Reply(self.t("already_registered"))] + await self._menu()
        return await self._menu()

    def _cmd_report(self, name: str):
        """/summary, /export, /report: handlers.reports decides who may see what."""

        async def run(argument: str) -> list[Reply]:
            if self.prepared_report is not None:
                return self.prepared_report
            return await self.engine.run_report(
                self.session, self.person, name, argument, self.inbound.can_receive_files
            )

        return run

    async def _cmd_help(self, argument: str) -> list[Reply]:
        text = self.t("help_inspector")
        if self.engine.settings.web_base_url:  # /web only where the console is on
            text += "\n" + self.t("web_help")
        # An admin's /summary line says more than a head's: each command once.
        if self.person.role == "head":
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
        yes = payloads.ConfirmCancel(run.id).encode()
        no = payloads.KeepRun(run.id).encode()
        buttons = [Choice(self.t("button_cancel_yes"), yes), Choice(self.t("button_cancel_no"), no)]
        return [Reply(self.t("cancel_confirm"), buttons)]

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
        role = role_of(" ".join(parts[:-1])) if len(parts) >= 2 else None
        department = parts[-1].upper() if parts else ""
        if role is None or await self.session.get(Department, department) is None:
            return [Reply(self.t("invite_usage", departments=await self._department_list()))]
        try:
            invite = await people.create_invite(
                self.session,
                role=role,
                department_code=department,
                created_by_id=self.person.id,
                valid_days=self.engine.settings.invite_valid_days,
            )
        except people.PeopleError:
            return [Reply(self.t("invite_usage", departments=await self._department_list()))]
        username = self.engine.settings.bot_username
        text = self.t(
            "invite_created",
            code=invite.code,
            link=f"https://t.me/{username}?start={invite.code}" if username else "",
            expires=self._local(invite.expires_at).strftime("%d/%m/%Y"),
            role=self.t(f"role_{role}"),
            department=department,
        )
        return [Reply(text)]

    async def _department_list(self) -> str:
        departments = await reminders.all_departments(self.session)
        return "\n".join(
            f"• {d.code} — {d.name_en if self.lang == 'en' else d.name_vi}" for d in departments
        )


# Role words an admin may type after /invite, accents and case aside.
ROLE_WORDS = {
    "inspector": "inspector",
    "can bo": "inspector",
    "can bo kiem tra": "inspector",
    "canbo": "inspector",
    "head": "head",
    "truong phong": "head",
    "admin": "admin",
    "quan tri": "admin",
    "quan tri vien": "admin",
}


def role_of(words: str) -> str | None:
    """The role an admin named ("cán bộ", "Trưởng phòng", "admin"), or None."""
    return ROLE_WORDS.get(fold(words))
