"""Types answered by picking: yes/no, one option, several options."""

from __future__ import annotations

import re

from handlers.catalog import t
from handlers.question_types.base import InvalidAnswer, QuestionType, Value
from handlers.questions import ChecklistError, Question
from storage.textnorm import fold


def option_label(question: Question, code: str, language: str) -> str:
    """The option's label, or the stored code itself when the option is gone."""
    option = question.option(code)
    return option.label_in(language) if option else code


class YesNo(QuestionType):
    name = "yes_no"
    codes = ("yes", "no")
    _words = {
        "yes": {"co", "c", "yes", "y", "da", "co a", "dung"},
        "no": {"khong", "k", "ko", "no", "n", "chua"},
        "unknown": {"khong ro", "kr", "unknown", "dont know", "khong biet", "?"},
    }

    @property
    def own_keys(self):
        return (f"expect_{self.name}", *(f"answer_{code}" for code in self.codes))

    def options(self, question, language):
        return [(code, t(language, f"answer_{code}")) for code in self.codes]

    def parse(self, question, text, context):
        folded = fold(text) or text.strip()
        for code in self.codes:
            if folded == code or folded in self._words[code]:
                return Value(text=code)
        raise InvalidAnswer(t(context.language, f"expect_{self.name}"))

    def valid(self, question, value):
        return super().valid(question, value) and value.text in self.codes

    def display(self, question, answer, language):
        return t(language, f"answer_{answer.value_text}") if answer.value_text else ""

    def export_cell(self, question, answer, language):
        code = answer.value_text
        return t(language, f"answer_{code}") if code in self._words else code


class YesNoUnknown(YesNo):
    name = "yes_no_unknown"
    codes = ("yes", "no", "unknown")


class SelectOne(QuestionType):
    name = "select_one"
    own_keys = ("expect_choice",)

    def validate_definition(self, question):
        if len(question.options) < 2:
            raise ChecklistError(f"a {self.name} question needs at least two choices")

    def options(self, question, language):
        return [(o.id, o.label_in(language)) for o in question.options]

    def _match(self, question: Question, text: str) -> str | None:
        folded = fold(text)
        for option in question.options:
            if folded in (option.id, *(fold(label) for label in option.label.values())):
                return option.id
        return None

    def parse(self, question, text, context):
        code = self._match(question, text)
        if code is None:
            raise InvalidAnswer(t(context.language, "expect_choice"))
        return Value(text=code)

    def valid(self, question, value):
        return super().valid(question, value) and question.option(value.text) is not None

    def display(self, question, answer, language):
        option = question.option(answer.value_text or "")
        return option.label_in(language) if option else ""

    def export_cell(self, question, answer, language):
        code = answer.value_text
        return option_label(question, code, language) if code else None


class SelectMultiple(SelectOne):
    name = "select_multiple"
    toggles = True
    own_keys = ("expect_select_multiple", "hint_multiple", "button_done")

    def hint(self, language):
        return t(language, "hint_multiple")

    def parse(self, question, text, context):
        """Typed answers: '1, 3', '1 3' or the options' names separated by commas or
        semicolons (a name that itself holds a comma, "Túi vải, dùng nhiều lần", is
        read whole: the longest run of parts that names an option wins)."""
        if re.fullmatch(r"[\d,;\s]+", text):
            parts = [p for p in re.split(r"[,;\s]+", text) if p]
        else:
            parts = [p.strip() for p in re.split(r"[,;]", text)]
        chosen: list[str] = []
        index = 0
        while index < len(parts):
            code, used = self._read_part(question, parts, index)
            if code is False:
                raise InvalidAnswer(t(context.language, "expect_select_multiple"))
            if code and code not in chosen:
                chosen.append(code)
            index += used
        if not chosen:
            raise InvalidAnswer(t(context.language, "expect_select_multiple"))
        return Value(json=chosen)

    def _read_part(self, question, parts: list[str], index: int) -> tuple[str | bool | None, int]:
        """The option named at parts[index] and how many parts its name took;
        (None, 1) for an empty part, (False, 1) for one that names nothing."""
        part = parts[index]
        if not part:
            return None, 1
        if part.isdecimal() and part.isascii():
            number = int(part) if len(part) < 4 else 0
            if 1 <= number <= len(question.options):
                return question.options[number - 1].id, 1
            return False, 1
        for end in range(len(parts), index, -1):
            code = self._match(question, ",".join(parts[index:end]))
            if code is not None:
                return code, end - index
        return False, 1

    @staticmethod
    def ordered(question: Question, codes: list[str]) -> list[str]:
        """The option ids once each, in the options' order (exports read the same
        whatever the order they were picked in)."""
        order = [o.id for o in question.options]
        return sorted(set(codes), key=order.index)

    def valid(self, question, value):
        codes = value.json
        return (
            value.text is None
            and value.number is None
            and value.date is None
            and isinstance(codes, list)
            and bool(codes)
            and all(isinstance(c, str) and question.option(c) is not None for c in codes)
            and len(set(codes)) == len(codes)
        )

    def comparable(self, answer):
        return answer.value_json or []

    def display(self, question, answer, language):
        """Labels joined by "; " (a label may hold a comma)."""
        options = (question.option(code) for code in answer.value_json or [])
        return "; ".join(option.label_in(language) for option in options if option)

    def export_cell(self, question, answer, language):
        codes = answer.value_json if isinstance(answer.value_json, list) else []
        # "; ": an option's label may hold a comma ("Túi vải, dùng nhiều lần").
        return "; ".join(option_label(question, code, language) for code in codes) or None
