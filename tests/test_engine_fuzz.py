"""A seeded fuzz run at the engine level (no messenger): thousands of random and hostile
inputs from four people over every question type and command. Every input must get a
reply that is not the apology, and the database must never hold an impossible state.

Reproduce a failure with FIELDBOT_FUZZ_SEED=<seed> (and FIELDBOT_FUZZ_STEPS=<n>)."""

from __future__ import annotations

import math
import os
import random
import time
from collections import Counter

from sqlmodel import select

from bot.app import build_engine
from bot.config import Config, defaults
from handlers.catalog import t
from handlers.checklist import Checklist
from handlers.messages import Inbound, PhotoRef, Reply
from handlers.question_types import QUESTION_TYPES, Value
from storage.models import RUN_PHASES, RUN_STATUSES, Answer, ChecklistRun, Person
from tests.telegram_harness import ADMIN, CLUSTER_INSPECTOR, HEAD, INSPECTOR, seed

SEED = int(os.environ.get("FIELDBOT_FUZZ_SEED", "20261201"))
STEPS = int(os.environ.get("FIELDBOT_FUZZ_STEPS", "4000"))
PEOPLE = [INSPECTOR, INSPECTOR, CLUSTER_INSPECTOR, ADMIN, HEAD]
STRANGER = 999_999
APOLOGIES = {t("vi", "error_generic"), t("en", "error_generic")}

HOSTILE_TEXTS = [
    "",
    " ",
    "\n\t",
    "²",
    "³",
    "①, ③",
    "٣",
    "9" * 300,
    "9" * 400,
    "-" + "9" * 400,
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e999",
    "1e5",
    "0x10",
    "-1",
    "0",
    "1",
    "2",
    "3",
    "7",
    "12",
    "99",
    "100",
    "101",
    "1.200",
    "1,5",
    "12,5%",
    "1.234,5",
    "1 200",
    "--5",
    "%",
    ".",
    ",",
    ";;",
    "\x00",
    "a\x00b",
    "ghi chú\x00\x07\x1b[31m",
    "\ud800",
    "\u202eabc",
    "🙂",
    "🙂" * 50,
    "x" * 600,
    "x" * 5000,
    "15.12, 108.80",
    "1000, 1000",
    "-91, 0",
    "90, 180",
    "hom nay",
    "hôm qua",
    "01/01/1999",
    "31/02/2026",
    "29/02/2024",
    "32/13/2026",
    "01/01/2999",
    "co",
    "có",
    "khong",
    "không rõ",
    "yes",
    "no",
    "bo qua",
    "skip",
    "xong",
    "gui",
    "✅ Gửi",
    "tiep tuc",
    "huy phieu",
    "cap nhat lan do",
    "kiem tra moi",
    "tui giay",
    "Túi vải, dùng nhiều lần",
    "tui giay, tui vai, dung nhieu lan",
    "1, 3",
    "1 2 3 4",
    "0, 5",
    "co op quang ngai",
    "co.op",
    "big c",
    "ccn",
    "sua 1",
    "sửa 99",
    "Đã nộp báo cáo",
    "report submitted",
    "SELECT * FROM person; --",
    "' OR 1=1 --",
    '=HYPERLINK("x")',
    "{}",
    "[]",
    "null",
    "%s %d {0} {name}",
    "<b>bold</b>",
    "a:1:nonbio_bags:yes",
]

COMMANDS = [
    "/start",
    "/start ",
    "/start ABCDEFGH",
    "/start 12345678901234567890",
    "/menu",
    "/help",
    "/back",
    "/skip",
    "/cancel",
    "/my",
    "/lang en",
    "/lang vi",
    "/lang xx",
    "/lang",
    "/summary ²",
    "/summary ³",
    "/summary abc",
    "/summary 2020",
    "/summary 99999",
    "/summary -1",
    "/summary 1e3",
    "/export ²",
    "/export 1999",
    "/export x",
    "/report ²",
    "/report 0",
    "/invite",
    "/invite inspector",
    "/invite wizard QLTM",
    "/invite inspector NOWHERE",
    "/unknown",
    "/",
    "//",
    "/start@fieldbot_bot",
    "/HELP",
    "/cancel now",
]


def forged_payload(rng: random.Random, run_ids: list[int], question_ids: list[str]) -> str:
    run = str(rng.choice(run_ids + [0, 1, 999_999_999, 10**20])) if rng.random() < 0.9 else "x"
    question = rng.choice(question_ids + ["", "nope", "../../etc"])
    code = rng.choice(
        ["yes", "no", "unknown", "_skip", "_done", "paper", "glass", "", "1e999", "²", "\x00"]
    )
    year = rng.choice(["0", "999999999", "2020", "2026", "2027", "2099", "²", "-1", ""])
    department = rng.choice(["QLTM", "QLCN", "KTATMT", "NOWHERE", "", "qltm", "\x00"])
    return rng.choice(
        [
            f"m:{run}:{question}:{code}",
            f"a:{run}:{question}:{code}",
            f"a:{run}:{question}:{code}:extra",
            f"s:{run}:{rng.choice(['1', '2', '99999', '0', '-1', '²', '10000000000'])}",
            f"u:{run}:{rng.choice(['u', 'n', 'x', ''])}",
            f"e:{run}:{question}",
            f"x:{run}",
            f"b:{run}",
            f"r:{run}:{rng.choice(['c', 'd', 'z'])}",
            f"k:{run}:{rng.choice(['y', 'n', 'z'])}",
            f"rc:{rng.choice(['1', '2', '0', '999999', 'x'])}:{year}:{department}",
            f"cl:{rng.choice(['supermarket', 'cluster_awareness', 'nope', ''])}",
            ":::",
            "",
            "x" * 70,
            "\x00",
        ]
    )


def pick(rng: random.Random, offered: list):
    """An offered choice; discarding the draft (r:…:d, k:…:y) less often, so that
    checks get far enough to reach every question type."""
    keep = [c for c in offered if not c.payload.endswith((":d", ":y"))]
    return rng.choice(keep if keep and rng.random() < 0.9 else offered)


def mangled(rng: random.Random, label: str) -> str:
    """An offered label as someone might type it: as shown, without accents, in capitals."""
    from storage.textnorm import fold

    return rng.choice([label, fold(label), label.upper(), f"  {label.lower()}  "])


def _relevant(question, answers: dict[str, Answer], checklist: Checklist) -> bool:
    for condition in question.relevant:
        answer = answers.get(condition.question_id)
        earlier = checklist.question(condition.question_id)
        if answer is None or answer.skipped or earlier is None:
            return False
        if not condition.holds(QUESTION_TYPES[earlier.type].comparable(answer)):
            return False
    return True


async def impossible_states(engine) -> list[str]:
    """Everything in the database that must never be there."""
    problems: list[str] = []
    async with engine.db.session() as session:
        runs = (await session.exec(select(ChecklistRun))).all()
        answers = (await session.exec(select(Answer))).all()
        people = (await session.exec(select(Person))).all()
    by_run: dict[int, dict[str, Answer]] = {}
    for answer in answers:
        by_run.setdefault(answer.run_id, {})[answer.question_id] = answer
    drafts = Counter(run.person_id for run in runs if run.status == "draft")
    problems += [f"person {p} has {n} open drafts" for p, n in drafts.items() if n > 1]
    known_people = {person.id for person in people}
    for run in runs:
        checklist = engine.checklists.get(run.checklist_id)
        if checklist is None or run.person_id not in known_people:
            problems.append(f"run {run.id}: unknown checklist or person")
            continue
        if run.status not in RUN_STATUSES or run.phase not in RUN_PHASES:
            problems.append(f"run {run.id}: status {run.status!r}, phase {run.phase!r}")
        if run.status == "draft" and run.phase == "question":
            if checklist.question(run.current_question or "") is None:
                problems.append(f"run {run.id}: waits at {run.current_question!r}")
        if run.status in ("submitted", "superseded") and run.submitted_at is None:
            problems.append(f"run {run.id}: submitted without a time")
        if run.status in ("submitted", "superseded") and checklist.needs_site and not run.site_id:
            problems.append(f"run {run.id}: submitted without a site")
        own = by_run.get(run.id, {})
        for question_id, answer in own.items():
            question = checklist.question(question_id)
            if question is None:
                problems.append(f"run {run.id}: answer to {question_id!r}, not in the checklist")
                continue
            if answer.skipped:
                if question.required:
                    problems.append(f"run {run.id}: required {question_id} skipped")
                continue
            value = Value(
                text=answer.value_text,
                number=answer.value_number,
                date=answer.value_date,
                json=answer.value_json,
            )
            if not QUESTION_TYPES[question.type].valid(question, value):
                problems.append(f"run {run.id}: {question_id} ({question.type}) = {value}")
        if run.status == "submitted":
            for question in checklist.questions:
                if question.required and _relevant(question, own, checklist):
                    if question.id not in own:
                        problems.append(f"run {run.id}: submitted without {question.id}")
    return problems


def fake_photo(key: str) -> PhotoRef:
    async def download(path) -> None:
        path.write_bytes(b"\xff\xd8\xff\xe0 fuzz")

    return PhotoRef(key=key, download=download)


async def test_thousands_of_hostile_inputs_get_a_normal_answer(sqlite_db, sqlite_target, tmp_path):
    await seed(sqlite_db)
    config = Config(defaults()).with_values(
        database={"url": sqlite_target.url}, bot={"media_dir": str(tmp_path / "media")}
    )
    engine = build_engine(config, sqlite_db)
    rng = random.Random(SEED)
    question_ids = sorted({q.id for c in engine.checklists.by_id.values() for q in c.questions})
    last_replies: dict[int, list[Reply]] = {}
    kinds: Counter[str] = Counter()
    started = time.monotonic()
    for step in range(STEPS):
        user = rng.choice(PEOPLE) if rng.random() > 0.02 else STRANGER
        offered = [c for r in last_replies.get(user, []) for c in r.choices]
        run_ids = list(range(1, 4 + step // 20))
        roll = rng.random()
        fields: dict = {}
        if offered and roll < 0.45:
            kind, fields["payload"] = "press", pick(rng, offered).payload
        elif offered and roll < 0.47:
            number = offered.index(pick(rng, offered)) + 1
            kind, fields["text"] = "number", str(number)
        elif offered and roll < 0.55:
            kind, fields["text"] = "label", mangled(rng, pick(rng, offered).label)
        elif roll < 0.78:
            kind, fields["text"] = "hostile", rng.choice(HOSTILE_TEXTS)
        elif roll < 0.88:
            kind, fields["text"] = "command", rng.choice(COMMANDS)
        elif roll < 0.94:
            kind, fields["payload"] = "forged", forged_payload(rng, run_ids, question_ids)
        elif roll < 0.97:
            lat = rng.choice([15.12, 14.9, -90.0, 90.0, 1000.0, -1000.0, math.nan, math.inf])
            lon = rng.choice([108.8, 108.0, 180.0, -181.0, 2000.0, math.nan])
            kind, fields["location"] = "location", (lat, lon)
        else:
            kind, fields["photo"] = "photo", fake_photo(f"photo-{step}")
        kinds[kind] += 1
        inbound = Inbound(
            channel="telegram",
            sender_id=str(user),
            sender_name=rng.choice(["Tester", "", "A\x00B", "x" * 300]),
            language_hint=rng.choice(["vi", "en", None, "zz"]),
            update_key=f"fuzz-{step}",
            **fields,
        )
        try:
            replies = await engine.handle(inbound)
        except Exception as error:  # noqa: BLE001 - report which input did it
            raise AssertionError(
                f"seed {SEED} step {step}: {inbound!r} raised {error!r}"
            ) from error
        assert replies, f"seed {SEED} step {step}: no reply to {inbound!r}"
        for reply in replies:
            assert reply.text not in APOLOGIES, f"seed {SEED} step {step}: {inbound!r}"
        last_replies[user] = replies
        if step % 500 == 499:
            problems = await impossible_states(engine)
            assert not problems, f"seed {SEED} by step {step}: {problems[:10]}"
    problems = await impossible_states(engine)
    assert not problems, f"seed {SEED}: {problems[:10]}"
    elapsed = time.monotonic() - started
    async with sqlite_db.session() as session:
        runs = {run.id: run for run in (await session.exec(select(ChecklistRun))).all()}
        answers = (await session.exec(select(Answer))).all()
    statuses = Counter(run.status for run in runs.values())
    types = Counter(
        engine.checklists.get(runs[a.run_id].checklist_id).question(a.question_id).type
        for a in answers
        if not a.skipped
    )
    print(f"fuzz: {STEPS} inputs in {elapsed:.1f}s, {dict(kinds)}, runs {dict(statuses)}")
    print(f"fuzz: answers stored by type {dict(types)}")
    # The run must have got somewhere: checks submitted, answers of most types stored.
    if STEPS >= 3000:
        assert statuses["submitted"] > 0 and len(types) >= 8, (statuses, types)
