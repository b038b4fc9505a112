"""Types answered with what a phone shares: a photo, a location."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.catalog import t
from handlers.question_types.base import InvalidAnswer, QuestionType, Value
from handlers.question_types.numbers import valid_coordinates


class Photo(QuestionType):
    name = "photo"
    takes_photo = True
    # A message without a photo (text, a sticker) at a photo question.
    empty_input_key = "expect_photo"
    own_keys = ("expect_photo", "answer_photo")

    def parse(self, question, text, context):
        raise InvalidAnswer(t(context.language, "expect_photo"))

    def from_photo(self, path, context):
        return Value(text=str(path))

    def display(self, question, answer, language):
        return t(language, "answer_photo") if answer.value_text else ""

    def export_cell(self, question, answer, language):
        """The file's name: the photos folder is delivered beside the workbook."""
        return Path(answer.value_text).name if answer.value_text else None


class Location(QuestionType):
    name = "location"
    takes_location = True
    own_keys = ("expect_location", "location_out_of_range")
    _PAIR = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")

    def parse(self, question, text, context):
        """Typed coordinates '15.12, 108.80' (Zalo and the terminal cannot share a location)."""
        match = self._PAIR.match(text)
        if match:
            lat, lon = float(match.group(1)), float(match.group(2))
            if valid_coordinates(lat, lon):
                return Value(json={"lat": lat, "lon": lon})
        raise InvalidAnswer(t(context.language, "expect_location"))

    def from_location(self, lat, lon, context):
        if not valid_coordinates(lat, lon):
            raise InvalidAnswer(t(context.language, "location_out_of_range"))
        return Value(json={"lat": float(lat), "lon": float(lon)})

    def valid(self, question, value):
        place = value.json
        return (
            isinstance(place, dict)
            and set(place) == {"lat", "lon"}
            and valid_coordinates(place["lat"], place["lon"])
            and value.text is None
            and value.number is None
            and value.date is None
        )

    def comparable(self, answer):
        return answer.value_json

    def display(self, question, answer, language):
        if not answer.value_json:
            return ""
        return f"{answer.value_json['lat']:.5f}, {answer.value_json['lon']:.5f}"

    def export_cell(self, question, answer, language):
        return self.display(question, answer, language) or None
