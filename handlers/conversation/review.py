"""Reviewing submitted checks in the chat: /review (the oldest waiting check as one
card), /review <id>, the decision (Duyệt / Yêu cầu sửa / Bỏ qua / Từ chối), choosing
the answers to send back and the comment, and /history <id>.

The rules (who reviews whose check, which step may follow which) are
handlers/review.py; the rows are storage/review.py. Every choice names the check and
the review step its card showed: a choice from an older card, another reviewer's
check or forged data changes nothing. The inspector's side (the correction) is
handlers/conversation/corrections.py.

``Review`` comes first in Turn's bases and extends a few of the other jobs'
methods (a command, a button, typed text, /help) by calling ``super()`` for
everything that is not about review.
"""

from __future__ import annotations

from pathlib import Path

from handlers import payloads as p
from handlers import review as rules
from handlers.conversation.choices import as_number
from handlers.conversation.commands import command_word
from handlers.conversation.history import History
from handlers.messages import Choice, Reply
from storage import review as store
from storage import runs
from storage.models import ChecklistRun, Person, ReviewDraft, Site

# Decision buttons on a card, and the review step each records.
_DECISIONS = (
    (p.ReviewApprove, "rv_button_approve"),
    (p.ReviewSendBack, "rv_button_correct"),
    (p.ReviewSkip, "rv_button_skip"),
    (p.ReviewReject, "rv_button_reject"),
)
# What a reviewer half-way through a decision types next: the answers, or the text.
_ASKING = "review"


def asking_key(check_id: int, seq: int) -> str:
    """How the offered screen remembers that it waits for a reviewer's typing."""
    return f"{_ASKING}:{check_id}:{seq}"


class Review(History):
    # --- the hooks into the other jobs ---------------------------------------------

    async def _command(self, text: str) -> list[Reply]:
        command, argument = command_word(text)
        if command == "/review":
            return await self._rv_cmd_review(argument)
        if command == "/history":
            return await self._rv_cmd_history(argument)
        return await super()._command(text)

    async def _cmd_help(self, argument: str) -> list[Reply]:
        replies = await super()._cmd_help(argument)
        if rules.scope_for(self.person) is not None and replies:
            replies[-1].text += "\n" + self.t("rv_help")
        return replies

    async def _button(self, data: str, run: ChecklistRun | None) -> list[Reply]:
        payload = p.decode(data)
        if isinstance(payload, p.StartCorrection):
            return await self._rv_start_fix(payload, run)
        if isinstance(payload, p.REVIEW_KINDS):
            return await self._rv_review_button(payload)
        return await super()._button(data, run)

    async def _typed_choice(self, text: str, run: ChecklistRun | None):
        draft = await store.draft_of(self.session, self.person.id)
        if draft is not None:
            screen = await runs.offered_screen(self.session, self.person.id)
            if screen.question == asking_key(draft.run_id, draft.seq):
                replies = await self._rv_typed_for_draft(draft, text)
                if replies is not None:
                    return replies
        fix = await self._rv_typed_fix_now(text)
        return fix if fix is not None else await super()._typed_choice(text, run)

    # --- /review ---------------------------------------------------------------------

    async def _rv_cmd_review(self, argument: str) -> list[Reply]:
        scope = rules.scope_for(self.person)
        if scope is None:
            return [Reply(self.t("rv_not_reviewer"))]
        await store.clear_draft(self.session, self.person.id)
        if argument:
            check_id = as_number(argument.lstrip("#"))
            if check_id is None:
                return [Reply(self.t("rv_usage"))]
            return await self._rv_open_card(check_id)
        return await self._rv_next_card(scope)

    async def _rv_next_card(self, scope, after: ChecklistRun | None = None) -> list[Reply]:
        check = await store.next_unreviewed(self.session, scope, after=after)
        if check is None:
            return [Reply(self.t("rv_queue_empty"))]
        return await self._rv_open_card(
            check.id, waiting=await store.count_unreviewed(self.session, scope)
        )

    async def _rv_open_card(self, check_id: int, waiting: int | None = None) -> list[Reply]:
        found = await self._rv_reviewable(check_id)
        if isinstance(found, list):
            return found
        check, inspector, site = found
        state, seq = await store.current(self.session, check.id)
        replies = await self._rv_card(check, inspector, site, state)
        if not rules.waits_for_review(state):
            return replies + [
                Reply(self.t("rv_not_waiting", id=check.id, state=self._rv_state(state)))
            ]
        card = replies[-1]
        if waiting:
            card.text += "\n\n" + self.t("rv_card_waiting", count=waiting)
        card.choices = [
            Choice(self.t(label), kind(check.id, seq).encode()) for kind, label in _DECISIONS
        ]
        return replies

    async def _rv_reviewable(self, check_id: int):
        """(check, inspector, site) when this person may review it, else the reply."""
        try:
            check, inspector, site = await store.card(self.session, check_id)
        except LookupError:
            return [Reply(self.t("rv_not_found", id=check_id))]
        if check.status != "submitted":
            return [Reply(self.t("rv_not_found", id=check_id))]
        if not rules.may_review(self.person, inspector):
            return [Reply(self.t("rv_not_yours", id=check_id))]
        return check, inspector, site

    async def _rv_card(
        self, check, inspector: Person, site: Site | None, state: str
    ) -> list[Reply]:
        """One compact card: what, where, who, when, the answers numbered; the photo
        before it (a caption is cut at 1,024 characters, the card may be longer)."""
        checklist = self._checklist(check)
        answers = await runs.answers_of(self.session, check.id)
        lines = [
            self.t("rv_card_title", id=check.id, title=checklist.title_in(self.lang)),
            self.t("rv_card_site", site=site.name if site else "—"),
            self.t(
                "rv_card_inspector", inspector=inspector.name, department=inspector.department_code
            ),
            self.t("rv_card_when", when=self._local(check.submitted_at).strftime("%d/%m/%Y %H:%M")),
            self.t("rv_card_state", state=self._rv_state(state)),
            "",
        ]
        photo = None
        for number, question in enumerate(checklist.relevant_questions(answers), 1):
            answer = answers.get(question.id)
            lines.append(
                f"{number}. {question.wording(self.lang)}\n   → {self._rv_shown(question, answer)}"
            )
            if question.type == "photo" and answer is not None and answer.value_text:
                photo = answer.value_text
        replies = [Reply("\n".join(lines))]
        if photo is not None and self._rv_photo_exists(photo):
            replies.insert(0, Reply(self.t("rv_card_photo", id=check.id), picture=Path(photo)))
        return replies

    @staticmethod
    def _rv_photo_exists(path: str) -> bool:
        return Path(path).is_file()

    # --- the decision ------------------------------------------------------------------

    async def _rv_review_button(self, payload) -> list[Reply]:
        if isinstance(payload, p.ReviewOpen):
            if rules.scope_for(self.person) is None:
                return [Reply(self.t("rv_not_reviewer"))]
            return await self._rv_open_card(payload.check_id)
        scope = rules.scope_for(self.person)
        if scope is None:
            return [Reply(self.t("rv_not_reviewer"))]
        found = await self._rv_reviewable(payload.check_id)
        if isinstance(found, list):
            return found
        check, inspector, _site = found
        state, seq = await store.current(self.session, check.id)
        if payload.seq != seq or not rules.waits_for_review(state):
            await store.clear_draft(self.session, self.person.id)
            return [Reply(self.t("rv_stale", id=check.id))] + await self._rv_open_card(check.id)
        match payload:
            case p.ReviewApprove():
                return await self._rv_record(check, inspector, seq, "approved", "", [])
            case p.ReviewSkip():
                await store.clear_draft(self.session, self.person.id)
                return await self._rv_next_card(scope, after=check)
            case p.ReviewCancel():
                await store.clear_draft(self.session, self.person.id)
                return await self._rv_open_card(check.id)
            case p.ReviewReject():
                await store.put_draft(
                    self.session, self.person.id, check.id, seq, "rejected", [], "text"
                )
                return self._rv_text_prompt(check.id, seq, self.t("rv_reason_prompt", id=check.id))
            case p.ReviewSendBack():
                draft = await store.put_draft(
                    self.session, self.person.id, check.id, seq, "needs_correction", [], "pick"
                )
                return await self._rv_pick_prompt(check, draft)
            case p.ReviewFlag() | p.ReviewFlagsDone():
                return await self._rv_flag(check, payload)
        return [Reply(self.t("rv_stale", id=check.id))]

    async def _rv_flag(self, check: ChecklistRun, payload) -> list[Reply]:
        draft = await store.draft_of(self.session, self.person.id)
        if draft is None or (draft.run_id, draft.seq, draft.waiting_for) != (
            check.id,
            payload.seq,
            "pick",
        ):
            return [Reply(self.t("rv_stale", id=check.id))] + await self._rv_open_card(check.id)
        questions = await self._rv_numbered(check)
        if isinstance(payload, p.ReviewFlagsDone):
            if not draft.question_ids:
                return [Reply(self.t("rv_pick_none"))] + await self._rv_pick_prompt(check, draft)
            return await self._rv_ask_comment(check, draft, draft.question_ids)
        if payload.question_id not in [q.id for q in questions]:
            return [Reply(self.t("rv_stale", id=check.id))] + await self._rv_pick_prompt(
                check, draft
            )
        picked = list(draft.question_ids)
        picked = (
            [q for q in picked if q != payload.question_id]
            if payload.question_id in picked
            else picked + [payload.question_id]
        )
        ordered = [q.id for q in questions if q.id in picked]
        draft = await store.put_draft(
            self.session, self.person.id, check.id, draft.seq, draft.action, ordered, "pick"
        )
        return await self._rv_pick_prompt(check, draft)

    async def _rv_numbered(self, check: ChecklistRun):
        answers = await runs.answers_of(self.session, check.id)
        return self._checklist(check).relevant_questions(answers)

    async def _rv_pick_prompt(self, check: ChecklistRun, draft: ReviewDraft) -> list[Reply]:
        """The answers numbered as on the card; on Zalo choice n is answer n, so typing
        "2" ticks answer 2, and "2 5 comment" picks both and sends at once."""
        questions = await self._rv_numbered(check)
        choices = []
        for number, question in enumerate(questions, 1):
            mark = "✅" if question.id in draft.question_ids else "▫️"
            label = f"{mark} {number}. {question.wording(self.lang)}"[:60]
            choices.append(Choice(label, p.ReviewFlag(check.id, draft.seq, question.id).encode()))
        choices.append(
            Choice(self.t("rv_button_done"), p.ReviewFlagsDone(check.id, draft.seq).encode())
        )
        choices.append(
            Choice(self.t("rv_button_back"), p.ReviewCancel(check.id, draft.seq).encode())
        )
        reply = Reply(self.t("rv_pick_prompt", id=check.id), choices)
        self._asking[id(reply)] = asking_key(check.id, draft.seq)
        return [reply]

    async def _rv_ask_comment(self, check: ChecklistRun, draft: ReviewDraft, picked: list[str]):
        await store.put_draft(
            self.session, self.person.id, check.id, draft.seq, draft.action, picked, "text"
        )
        numbers = self._rv_numbers_of(await self._rv_numbered(check), picked)
        return self._rv_text_prompt(
            check.id, draft.seq, self.t("rv_comment_prompt", id=check.id, numbers=numbers)
        )

    def _rv_text_prompt(self, check_id: int, seq: int, text: str) -> list[Reply]:
        back = Choice(self.t("rv_button_back"), p.ReviewCancel(check_id, seq).encode())
        reply = Reply(text, [back])
        self._asking[id(reply)] = asking_key(check_id, seq)
        return [reply]

    @staticmethod
    def _rv_numbers_of(questions, picked: list[str]) -> str:
        return ", ".join(str(n) for n, q in enumerate(questions, 1) if q.id in picked)

    async def _rv_typed_for_draft(self, draft: ReviewDraft, text: str) -> list[Reply] | None:
        """Typed text while a decision waits for it; None lets the screen's own
        choices (a typed "Xong", "« Quay lại") have it."""
        found = await self._rv_reviewable(draft.run_id)
        if isinstance(found, list):
            await store.clear_draft(self.session, self.person.id)
            return found
        check, inspector, _site = found
        if draft.waiting_for == "text":
            if not text:
                return [Reply(self.t("rv_text_needed"))]
            return await self._rv_record(
                check, inspector, draft.seq, draft.action, text, draft.question_ids
            )
        questions = await self._rv_numbered(check)
        picks = rules.read_picks(text, len(questions))
        if picks is None:
            return None
        picked = [questions[n - 1].id for n in sorted(picks.numbers)]
        if picks.comment:
            return await self._rv_record(
                check, inspector, draft.seq, draft.action, picks.comment, picked
            )
        return await self._rv_ask_comment(check, draft, picked)

    async def _rv_record(
        self, check, inspector: Person, seq: int, state: str, comment: str, picked
    ):
        """Records the decision if the check is still where the card showed it."""
        await store.clear_draft(self.session, self.person.id)
        current, _seq = await store.current(self.session, check.id)
        if not rules.can_move(current, state):
            return [Reply(self.t("rv_stale", id=check.id))] + await self._rv_open_card(check.id)
        event = await store.record(
            self.session,
            check.id,
            seq,
            state,
            self.person.id,
            channel=self.inbound.channel,
            comment=comment,
            question_ids=picked,
        )
        if event is None:
            now, _ = await store.current(self.session, check.id)
            return [Reply(self.t("rv_lost", id=check.id, state=self._rv_state(now)))]
        await self._rv_tell_inspector(check, inspector, event)
        if state == "approved":
            done = self.t("rv_approved", id=check.id)
        elif state == "rejected":
            done = self.t("rv_rejected", id=check.id)
        else:
            numbers = self._rv_numbers_of(await self._rv_numbered(check), picked)
            done = self.t("rv_sent_back", id=check.id, inspector=inspector.name, numbers=numbers)
        return [Reply(done)] + await self._rv_next_card(rules.scope_for(self.person))
