"""Personal data in the conversation (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): the notice
and consent at registration, /privacy, /forget with an admin's approval, and the access log
of /summary, /export and /report.

The mixin sits before Commands and Choices in Turn's bases, so its ``_command``,
``_button``, ``_cmd_help`` and ``_cmd_report`` see a turn first and hand on what is not
theirs; registration calls ``_ask_consent`` and Turn's dispatch asks ``_awaiting_consent``
(also true once [privacy] notice_version changes: the new notice is shown and answered anew).
Messages to other people (the admins, the person an admin decided about) go into the
outbox in this turn's transaction, so they leave only if the decision is committed.
"""

from __future__ import annotations

from handlers import privacy as pv
from handlers.catalog import t
from handlers.conversation.base import TurnBase
from handlers.messages import Choice, Reply, reply_to_json
from storage import inbox, people
from storage import privacy as store
from storage.models import ChannelAccount, ForgetRequest, Person


class Privacy(TurnBase):
    @property
    def _privacy(self) -> pv.PrivacySettings:
        return self.engine.settings.privacy

    def _time(self, moment) -> str:
        return self._local(moment).strftime("%H:%M %d/%m/%Y")

    # --- the notice and consent ---------------------------------------------------------

    async def _ask_consent(self) -> list[Reply]:
        """Right after registration: the notice, and nothing else until it is answered."""
        await store.ask_consent(
            self.session, self.person, self._privacy.notice_version, self.inbound.channel
        )
        return [Reply(pv.notice_text(self.lang, self._privacy)), self._consent_question()]

    def _consent_question(self) -> Reply:
        choices = [
            Choice(self.t("privacy_button_yes"), pv.CONSENT_YES),
            Choice(self.t("privacy_button_no"), pv.CONSENT_NO),
        ]
        return Reply(self.t("privacy_consent_question"), choices)

    async def _awaiting_consent(self) -> bool:
        """Whether the notice must be answered first: just registered, a notice changed
        since it was accepted, or a changed notice refused."""
        version = self._privacy.notice_version
        self._consent_state = await store.consent_state(self.session, self.person.id, version)
        return self._consent_state in ("pending", "outdated", "declined")

    async def _consent_turn(self, text: str) -> list[Reply]:
        state = getattr(self, "_consent_state", "pending")
        command = text.split(" ")[0].lower().split("@")[0] if text.startswith("/") else ""
        if state == "outdated" or (state == "declined" and command == "/privacy"):
            # The notice changed (or is asked for again): shown whole, answered anew.
            await store.ask_consent(
                self.session, self.person, self._privacy.notice_version, self.inbound.channel
            )
            changed = [Reply(self.t("privacy_notice_changed"))] if state == "outdated" else []
            notice = Reply(pv.notice_text(self.lang, self._privacy))
            return changed + [notice, self._consent_question()]
        if state == "declined":
            return await self._after_refusal(command)
        payload = self.inbound.payload
        if payload is None and text and not text.startswith("/"):
            picked = await self._typed_choice(text, None)
            payload = picked if isinstance(picked, str) else None
        if payload == pv.CONSENT_YES:
            consent = await store.accept(
                self.session, self.person, self._privacy.notice_version, self.inbound.channel
            )
            accepted = self.t("privacy_accepted", time=self._time(consent.decided_at))
            return [Reply(accepted)] + await self._menu()
        if payload == pv.CONSENT_NO:
            return await self._refuse()
        if command == "/privacy":
            return [Reply(pv.notice_text(self.lang, self._privacy)), self._consent_question()]
        return [Reply(self.t("privacy_consent_needed")), self._consent_question()]

    async def _refuse(self) -> list[Reply]:
        if await store.accepted_before(self.session, self.person.id):
            # Someone who has been filing checks: their checks are the office's records.
            await store.refuse_changed_notice(self.session, self.person)
            return [Reply(self.t("privacy_declined_existing"))]
        await store.decline(self.session, self.person)
        self.person = None  # nothing of theirs is kept, not even the screen
        return [Reply(self.t("privacy_declined"))]

    async def _after_refusal(self, command: str) -> list[Reply]:
        """A changed notice refused: only /forget (and its buttons) or accepting."""
        payload = self.inbound.payload
        if command == "/forget":
            return await self._cmd_forget()
        if payload in (pv.FORGET_CONFIRM, pv.FORGET_KEEP):
            if payload == pv.FORGET_CONFIRM:
                return await self._send_forget_request()
            return [Reply(self.t("forget_kept"))]
        return [Reply(self.t("privacy_declined_existing"))]

    # --- commands and buttons -----------------------------------------------------------------

    async def _command(self, text: str) -> list[Reply]:
        command = text.split(" ")[0].lower().split("@")[0]
        if command == "/privacy":
            return await self._cmd_privacy()
        if command == "/forget":
            return await self._cmd_forget()
        return await super()._command(text)

    async def _cmd_help(self, argument: str) -> list[Reply]:
        replies = await super()._cmd_help(argument)
        replies[-1].text += "\n" + self.t("privacy_help")
        return replies

    async def _cmd_privacy(self) -> list[Reply]:
        consent = await store.latest_consent(self.session, self.person.id)
        if consent is not None and consent.decided_at is not None:
            status = self.t(
                "privacy_consent_given",
                time=self._time(consent.decided_at),
                version=consent.notice_version,
            )
        else:
            status = self.t("privacy_consent_none")
        return [Reply(pv.notice_text(self.lang, self._privacy) + "\n\n" + status)]

    async def _cmd_forget(self) -> list[Reply]:
        pseudonym = store.pseudonym_for(self.person.id, self._privacy.pseudonym)
        choices = [
            Choice(self.t("forget_button_send"), pv.FORGET_CONFIRM),
            Choice(self.t("forget_button_keep"), pv.FORGET_KEEP),
        ]
        return [Reply(self.t("forget_confirm", pseudonym=pseudonym), choices)]

    async def _button(self, payload: str, run) -> list[Reply]:
        if not pv.is_privacy_payload(payload):
            return await super()._button(payload, run)
        if payload == pv.FORGET_CONFIRM:
            return await self._send_forget_request()
        if payload == pv.FORGET_KEEP:
            return [Reply(self.t("forget_kept"))] + await self._current_prompt()
        decision = pv.read_decision(payload)
        if decision is not None:
            return await self._decide(*decision)
        # Consent buttons once consent was given: an old screen.
        return [Reply(self.t("stale_button"))] + await self._current_prompt()

    # --- /forget -------------------------------------------------------------------------------

    async def _send_forget_request(self) -> list[Reply]:
        request, new = await store.request_forget(self.session, self.person)
        if not new:
            return [Reply(self.t("forget_already"))]
        admins = [
            (admin, accounts)
            for admin, accounts in await people.list_people(self.session)
            if admin.role == "admin" and admin.active and accounts and admin.id != self.person.id
        ]
        for admin, accounts in admins:
            text = self._for(
                admin,
                "forget_admin_request",
                name=self.person.name,
                role=self._for(admin, f"role_{self.person.role}"),
                department=self.person.department_code,
                time=self._time(request.requested_at),
                pseudonym=store.pseudonym_for(self.person.id, self._privacy.pseudonym),
            )
            choices = [
                Choice(
                    self._for(admin, "forget_button_approve"), pv.decision_payload(request.id, True)
                ),
                Choice(
                    self._for(admin, "forget_button_decline"),
                    pv.decision_payload(request.id, False),
                ),
            ]
            self._tell(admin, accounts, Reply(text, choices))
        return [Reply(self.t("forget_sent" if admins else "forget_no_admin"))]

    async def _decide(self, request_id: int, approve: bool) -> list[Reply]:
        if self.person.role != "admin":
            return [Reply(self.t("admins_only"))]
        requester_id = await self._requester(request_id)
        requester = await self.session.get(Person, requester_id) if requester_id else None
        name = requester.name if requester else "?"
        try:
            request, accounts = await store.decide_forget(
                self.session, request_id, self.person, approve, pseudonym=self._privacy.pseudonym
            )
        except store.PrivacyError:
            return [Reply(self.t("forget_admin_decided"))]
        action = "forget_approved" if approve else "forget_declined"
        await store.record_access(
            self.session,
            self.person,
            action,
            f"person={request.person_id}",
            source=self.inbound.channel,
        )
        pseudonym = store.pseudonym_for(request.person_id, self._privacy.pseudonym)
        if requester is not None:
            key = "forget_done" if approve else "forget_refused"
            self._tell(requester, accounts, Reply(self._for(requester, key, pseudonym=pseudonym)))
        key = "forget_admin_approved" if approve else "forget_admin_declined"
        return [Reply(self.t(key, name=name, pseudonym=pseudonym))]

    async def _requester(self, request_id: int) -> int | None:
        request = await self.session.get(ForgetRequest, request_id)
        return request.person_id if request else None

    @staticmethod
    def _for(person: Person, key: str, **values) -> str:
        """A text in the language of ``person`` (not the sender's)."""
        return t(person.language, key, **values)

    def _tell(self, person: Person, accounts: list[ChannelAccount], reply: Reply) -> None:
        """A message to someone other than the sender, on each of their messengers."""
        for account in accounts:
            inbox.add_replies(
                self.session,
                account.channel,
                account.external_id,
                person.language,
                [reply_to_json(reply)],
            )

    # --- the access log -------------------------------------------------------------------------

    def _cmd_report(self, name: str):
        run = super()._cmd_report(name)

        async def logged(argument: str) -> list[Reply]:
            replies = await run(argument)
            files = [reply.file_name for reply in replies if reply.file is not None]
            shown = name == "/summary" and self.person.role in ("head", "admin")
            if files or shown:
                detail = ", ".join(files) or f"year={argument or 'current'}"
                await store.record_access(
                    self.session, self.person, name[1:], detail, source=self.inbound.channel
                )
            return replies

        return logged
