"""Strangers: an invite code (a /start deep link on Telegram, typed on Zalo) makes
them a person; anything else gets "not registered"."""

from __future__ import annotations

from handlers.conversation.base import TurnBase
from handlers.messages import Reply
from storage import people
from storage.textnorm import clean_text


class Registration(TurnBase):
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
        return [Reply(welcome)] + await self._ask_consent()  # then the menu
