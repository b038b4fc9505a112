"""/history <id>: a check's review steps and every change to its answers (old → new,
who, when, why), for the inspector who filed it and for those who review it."""

from __future__ import annotations

from handlers import review as rules
from handlers.conversation.base import TurnBase
from handlers.conversation.choices import as_number
from handlers.messages import Reply
from handlers.question_types import QUESTION_TYPES
from storage import corrections
from storage import review as store
from storage.models import Person, Site


class History(TurnBase):
    async def _rv_cmd_history(self, argument: str) -> list[Reply]:
        check_id = as_number(argument.lstrip("#")) if argument else None
        if check_id is None:
            return [Reply(self.t("rv_history_usage"))]
        try:
            check, inspector, site = await store.card(self.session, check_id)
        except LookupError:
            return [Reply(self.t("rv_not_found", id=check_id))]
        if check.status == "draft" or not (
            inspector.id == self.person.id or rules.may_review(self.person, inspector)
        ):
            return [Reply(self.t("rv_not_found", id=check_id))]
        return [Reply(await self._rv_history_text(check, inspector, site))]

    async def _rv_history_text(self, check, inspector: Person, site: Site | None) -> str:
        checklist = self._checklist(check)
        events = await store.events_of(self.session, check.id)
        changes = await corrections.changes_of(self.session, [check.id])
        names = await corrections.people_named(
            self.session, {e.actor_id for e in events} | {c.changed_by_id for c in changes}
        )
        numbered = {q.id: n for n, q in enumerate(checklist.questions, 1)}
        when = lambda moment: self._local(moment).strftime("%d/%m/%Y %H:%M")  # noqa: E731
        rows = [
            (
                check.submitted_at,
                0,
                self.t("rv_history_submitted", when=when(check.submitted_at), who=inspector.name),
            )
        ]
        for event in events:
            numbers = ", ".join(str(numbered.get(q, "?")) for q in event.question_ids)
            text = self.t(
                f"rv_history_{event.state}",
                when=when(event.at),
                who=names.get(event.actor_id, "?"),
                comment=event.comment,
                numbers=numbers,
            )
            rows.append((event.at, 1, text))
        for change in changes:
            question = checklist.question(change.question_id)
            wording = question.wording(self.lang) if question else change.question_id
            text = self.t(
                "rv_history_change",
                when=when(change.changed_at),
                who=names.get(change.changed_by_id, "?"),
                question=wording,
                old=self._rv_value_text(question, change.old_value),
                new=self._rv_value_text(question, change.new_value),
            )
            rows.append((change.changed_at, 0, text))
        state, _seq = await store.current(self.session, check.id)
        title = self.t(
            "rv_history_title",
            id=check.id,
            title=checklist.title_in(self.lang),
            site=site.name if site else "—",
        )
        lines = [title] + [text for _at, _order, text in sorted(rows, key=lambda r: (r[0], r[1]))]
        return "\n".join(lines + [self.t("rv_history_state", state=self._rv_state(state))])

    def _rv_value_text(self, question, value: dict | None) -> str:
        if value is None:
            return self.t("rv_no_answer")
        if question is None:
            return str(value.get("text") or value.get("number") or value.get("json") or "")
        return self._rv_shown(question, corrections.as_answer(value))

    def _rv_shown(self, question, answer) -> str:
        if answer is None or answer.skipped:
            return self.t("answer_skipped") if answer is not None else self.t("rv_no_answer")
        return QUESTION_TYPES[question.type].display(question, answer, self.lang) or "—"

    def _rv_state(self, state: str) -> str:
        return self.t(f"rv_state_{state}")
