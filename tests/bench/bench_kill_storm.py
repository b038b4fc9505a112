"""Kill storm: inspectors file checks while `fieldbot run` is SIGKILLed again and again.

    python -m tests.bench.bench_kill_storm [--kills 50] [--inspectors 50] [--twice]
                                           [--postgresql] [--quick]

Every inspector files one full supermarket check through the fake Telegram server,
waiting for each reply as a person does; a killer SIGKILLs the real `fieldbot run`
process at random moments and starts it again. ``--twice`` delivers every update
twice (same update_id), as Telegram may after a crash. At the end the database must
hold exactly one submitted check per inspector with the answers they gave: the
figures are updates sent, answers stored, lost and duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import select

from storage.db import Database, upgrade
from storage.models import Answer, ChannelAccount, ChecklistRun
from tests.bench.common import record
from tests.bot_process import BotProcess, write_config
from tests.fake_telegram import FakeTelegram
from tests.telegram_harness import Phone, add_inspectors, seed

# What each inspector does and expects; "tap" presses the newest button with that label.
SCRIPT = [
    ("text", "/start", "Chọn phiếu"),
    ("tap", "Kiểm tra siêu thị", "Gõ một phần tên"),
    ("text", "vincom quang ngai", "Câu 1/"),  # the one site found is taken
    ("tap", "Không", "Câu 2/"),
    ("tap", "Túi giấy", "Câu 2/"),
    ("tap", "Xong", "Câu 3/"),
    ("text", "80", "Câu 4/"),
    ("tap", "Đã thay hoàn toàn", "Câu 5/"),
    ("tap", "Không", "Câu 6/"),
    ("tap", "Không", "Câu 7/"),
    ("tap", "Có", "Câu 8/"),
    ("tap", "Bỏ qua", "Câu 9/"),
    ("tap", "Bỏ qua", "Câu 10/"),
    ("tap", "Bỏ qua", "Xem lại"),
    ("tap", "✅ Gửi", "Đã gửi phiếu"),
]
SAME_SITE = [("text", "vincom quang ngai", "đã được"), ("tap", "Kiểm tra mới", "Câu 1/")]
EXPECTED = {"nonbio_bags": "no", "bag_types": ["paper"], "eco_bag_share": 80.0}


def script_for(first: bool) -> list[tuple[str, str, str]]:
    return SCRIPT if first else SCRIPT[:2] + SAME_SITE + SCRIPT[3:]


class Storm:
    def __init__(self, tg: FakeTelegram, twice: bool, reply_timeout: float) -> None:
        self.tg = tg
        self.twice = twice
        self.reply_timeout = reply_timeout
        self.sent = 0
        self.lost: list[tuple[int, str]] = []

    def _deliver(self, update: dict) -> None:
        self.sent += 1
        if self.twice:
            self.tg.push_update(update)

    async def inspector(self, user_id: int, first: bool) -> bool:
        phone = Phone(self.tg, user_id)
        for kind, what, expect in script_for(first):
            if kind == "text":
                update = self.tg.user_sends_text(user_id, what)
            else:
                message_id, data = phone.button(what)
                if data is None:  # a reply keyboard's button (the location's) sends its label
                    update = self.tg.user_sends_text(user_id, what)
                else:
                    update = self.tg.user_presses_button(user_id, data, message_id=message_id)
            self._deliver(update)
            try:
                await phone.expect(expect, timeout=self.reply_timeout)
            except AssertionError:
                self.lost.append((user_id, what))
                return False
        return True


async def killer(bot: BotProcess, kills: int, done: asyncio.Event, rng: random.Random) -> int:
    killed = 0
    while killed < kills and not done.is_set():
        await asyncio.sleep(rng.uniform(0.3, 1.5))
        await bot.kill()
        killed += 1
        await bot.start()
    return killed


async def check_database(database: Database, inspectors: list[int]) -> dict[str, int]:
    figures = {"stored": 0, "duplicated": 0, "wrong": 0, "missing": 0}
    async with database.session() as session:
        for user_id in inspectors:
            account = (
                await session.exec(
                    select(ChannelAccount).where(ChannelAccount.external_id == str(user_id))
                )
            ).one()
            runs = (
                await session.exec(
                    select(ChecklistRun).where(
                        ChecklistRun.person_id == account.person_id,
                        ChecklistRun.status == "submitted",
                    )
                )
            ).all()
            if not runs:
                figures["missing"] += 1
                continue
            figures["duplicated"] += len(runs) - 1
            answers = (await session.exec(select(Answer).where(Answer.run_id == runs[0].id))).all()
            figures["stored"] += len(answers)
            by_id = {a.question_id: a for a in answers}
            for question, value in EXPECTED.items():
                answer = by_id.get(question)
                got = None
                if answer is not None:
                    got = answer.value_json or answer.value_text or answer.value_number
                if got != value:
                    figures["wrong"] += 1
    return figures


async def storm(args) -> int:
    with tempfile.TemporaryDirectory(prefix="fieldbot-storm-") as folder:
        folder = Path(folder)
        url = f"sqlite+aiosqlite:///{folder / 'storm.db'}"
        if args.postgresql:
            url = args.postgresql
        database = Database(url)
        await upgrade(database.engine)
        await seed(database)
        inspectors = list(range(9000, 9000 + args.inspectors))
        await add_inspectors(database, inspectors)
        async with FakeTelegram() as tg:
            config = write_config(
                folder / "config.toml",
                url,
                folder / "media",
                telegram={
                    "token": tg.token,
                    "api_base_url": tg.api_base_url,
                    "file_base_url": tg.file_base_url,
                },
            )
            bot = BotProcess(config)
            await bot.start()
            run = Storm(tg, args.twice, reply_timeout=180.0)
            began = time.perf_counter()
            done = asyncio.Event()
            kills = asyncio.create_task(killer(bot, args.kills, done, random.Random(args.seed)))
            finished = [await run.inspector(inspectors[0], first=True)]
            finished += await asyncio.gather(
                *(run.inspector(uid, first=False) for uid in inspectors[1:])
            )
            done.set()
            killed = await kills
            await bot.terminate()
            elapsed = time.perf_counter() - began
        figures = await check_database(database, inspectors)
        await database.dispose()
    print(
        f"kill storm ({'PostgreSQL' if args.postgresql else 'SQLite'}"
        f"{', every update twice' if args.twice else ''}): {killed} kills in {elapsed:.0f} s; "
        f"{args.inspectors} inspectors, {sum(finished)} finished; updates sent {run.sent}; "
        f"answers stored {figures['stored']}; lost {len(run.lost) + figures['missing']}; "
        f"duplicated {figures['duplicated']}; wrong values {figures['wrong']}"
    )
    if run.lost:
        print(f"  waiting for a reply that never came: {run.lost[:5]}")
    bad = run.lost or figures["missing"] or figures["duplicated"] or figures["wrong"]
    lost = len(run.lost) + figures["missing"]
    wrong = f"{lost} lost, {figures['duplicated']} twice, {figures['wrong']} wrong"
    record(
        "issue 17",
        f"kill storm: {killed} SIGKILLs, {args.inspectors} inspectors",
        wrong,
        "0, 0, 0",
        not bad,
    )
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_kill_storm")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--twice", action="store_true", help="deliver every update twice")
    parser.add_argument("--postgresql", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--quick", action="store_true", help="10 kills, 10 inspectors")
    args = parser.parse_args(argv)
    if args.quick:
        args.kills, args.inspectors = 10, 10
    return asyncio.run(storm(args))


if __name__ == "__main__":
    sys.exit(main())
