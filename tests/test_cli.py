"""The `fieldbot` command line on a new SQLite file and on PostgreSQL.

The CLI calls asyncio.run itself, so it runs in a worker thread (asyncio.to_thread)
with a loop of its own while the test checks the database from the test's loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from bot.cli import COMMANDS, build_parser, main
from storage.models import ChannelAccount, Invite, Person, Site, utcnow


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli_environment(monkeypatch, tmp_path):
    """No FIELDBOT_* settings leak in; the root logger is put back afterwards."""
    for name in ("FIELDBOT_CONFIG", "FIELDBOT_TELEGRAM_TOKEN", "FIELDBOT_ZALO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield monkeypatch
    root.handlers[:], level = saved
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.NOTSET)


def runner(capsys):
    async def run(*args: str) -> Result:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def fieldbot(cli_environment, capsys, empty_database):
    """Runs `fieldbot ARGS` against the test's (not yet upgraded) database."""
    cli_environment.setenv("FIELDBOT_DATABASE_URL", empty_database.url)
    return runner(capsys)


def _head_revision(url: str) -> str:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.code == 2, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("fieldbot: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


async def test_a_newcomer_sets_up_sites_people_and_an_invite(fieldbot, empty_database):
    before = await fieldbot("sites", "list")
    assert_one_line_error(before, "run `fieldbot db upgrade` first")

    upgraded = await fieldbot("db", "upgrade")
    assert upgraded.code == 0, upgraded
    head = _head_revision(empty_database.url)
    assert f"Database is up to date (revision {head})" in upgraded.out
    again = await fieldbot("db", "upgrade")
    assert again.out == f"Database is up to date (revision {head})\n"

    first = await fieldbot("sites", "import", "--sample")
    assert (first.code, first.out) == (0, "created 27, updated 0, unchanged 0\n")
    second = await fieldbot("sites", "import", "--sample")
    assert (second.code, second.out) == (0, "created 0, updated 0, unchanged 27\n")

    listed = await fieldbot("sites", "list", "--kind", "trade_centre")
    lines = listed.out.splitlines()
    assert lines[0].split() == ["code", "kind", "status", "name", "commune"]
    assert len(lines) == 2 + 3
    assert any(
        line.startswith("TTTM-VINCOM-QNG") and "Vincom Plaza Quảng Ngãi" in line for line in lines
    )
    assert not any("ST-COOP-QNG" in line for line in lines)

    added = await fieldbot(
        "users",
        "add",
        "--name",
        "Nguyễn Thị Lan",
        "--role",
        "inspector",
        "--department",
        "QLTM",
        "--telegram-id",
        "5550001",
    )
    assert added.code == 0, added
    lan_id = int(re.search(r"added person (\d+)", added.out).group(1))
    head = await fieldbot(
        "users",
        "add",
        "--name",
        "Trần Văn Hùng",
        "--role",
        "head",
        "--department",
        "QLCN",
        "--telegram-id",
        "5550002",
        "--zalo-id",
        "zl-778",
        "--language",
        "en",
    )
    head_id = int(re.search(r"added person (\d+)", head.out).group(1))
    assert head_id != lan_id

    people = await fieldbot("users", "list")
    rows = {line.split()[0]: line for line in people.out.splitlines()[2:]}
    assert "Nguyễn Thị Lan" in rows[str(lan_id)] and "telegram:5550001" in rows[str(lan_id)]
    assert "inspector" in rows[str(lan_id)] and "QLTM" in rows[str(lan_id)]
    assert "telegram:5550002, zalo:zl-778" in rows[str(head_id)]
    assert rows[str(lan_id)].split()[-2] == "yes"  # active

    deactivated = await fieldbot("users", "deactivate", str(lan_id))
    assert deactivated.code == 0 and "deactivated" in deactivated.out
    people = await fieldbot("users", "list")
    row = next(line for line in people.out.splitlines() if line.startswith(f"{lan_id} "))
    assert "  no  " in row

    invited = await fieldbot("invite", "--role", "inspector", "--department", "QLTM")
    assert invited.code == 0, invited
    code = re.search(r"Invite code: (\S+)", invited.out).group(1)
    assert re.fullmatch(r"[A-Z0-9]{10}", code)
    assert f"Telegram: send /start {code} to the bot" in invited.out

    short = await fieldbot("invite", "--role", "head", "--department", "QLCN", "--days", "2")
    short_code = re.search(r"Invite code: (\S+)", short.out).group(1)

    database = empty_database.connect()
    try:
        async with database.session() as session:
            lan = await session.get(Person, lan_id)
            assert (lan.name, lan.role, lan.department_code, lan.active) == (
                "Nguyễn Thị Lan",
                "inspector",
                "QLTM",
                False,
            )
            hung = await session.get(Person, head_id)
            assert (hung.language, hung.active) == ("en", True)
            accounts = (
                await session.exec(
                    select(ChannelAccount.channel, ChannelAccount.external_id)
                    .where(ChannelAccount.person_id == head_id)
                    .order_by(ChannelAccount.channel)
                )
            ).all()
            assert [tuple(a) for a in accounts] == [("telegram", "5550002"), ("zalo", "zl-778")]
            assert (await session.exec(select(func.count()).select_from(Site))).one() == 27

            invite = await session.get(Invite, code)
            assert (invite.role, invite.department_code, invite.used_at) == (
                "inspector",
                "QLTM",
                None,
            )
            assert invite.expires_at - utcnow() == pytest.approx(
                timedelta(days=7), abs=timedelta(minutes=2)
            )
            other = await session.get(Invite, short_code)
            assert other.expires_at - other.created_at == timedelta(days=2)
    finally:
        await database.dispose()

    reactivated = await fieldbot("users", "activate", str(lan_id))
    assert reactivated.code == 0 and "activated" in reactivated.out


async def test_mistakes_stop_with_one_line_and_change_nothing(fieldbot, empty_database):
    assert (await fieldbot("db", "upgrade")).code == 0

    assert_one_line_error(
        await fieldbot("users", "add", "--name", "A", "--role", "inspector", "--department", "XX"),
        "unknown department 'XX'",
        "QLTM",
    )
    assert_one_line_error(
        await fieldbot("invite", "--role", "inspector", "--department", "NOPE"),
        "unknown department 'NOPE'",
    )
    assert (
        await fieldbot(
            "users",
            "add",
            "--name",
            "B",
            "--role",
            "head",
            "--department",
            "QLTM",
            "--telegram-id",
            "42",
        )
    ).code == 0
    assert_one_line_error(
        await fieldbot(
            "users",
            "add",
            "--name",
            "C",
            "--role",
            "head",
            "--department",
            "QLTM",
            "--telegram-id",
            "42",
        ),
        "telegram account 42 already belongs to someone",
    )
    assert_one_line_error(await fieldbot("users", "deactivate", "999"), "no person with id 999")
    assert_one_line_error(
        await fieldbot("users", "add", "--name", "  ", "--role", "head", "--department", "QLTM"),
        "the name must not be empty",
    )
    assert_one_line_error(
        await fieldbot("sites", "import", "missing.csv"), "missing.csv: file not found"
    )

    database = empty_database.connect()
    try:
        async with database.session() as session:
            names = (await session.exec(select(Person.name))).all()
            assert names == ["B"]
            assert (await session.exec(select(func.count()).select_from(Invite))).one() == 0
        async with database.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = 'future'"))
    finally:
        await database.dispose()

    newer = await fieldbot("users", "list")
    assert newer.code == 1 and newer.out == ""
    assert newer.err.splitlines() == [
        "fieldbot: error: the database is at revision future, which this fieldbot does not "
        "know (was it upgraded by a newer version?)"
    ]


async def test_a_sqlite_file_in_a_missing_folder_is_one_line(cli_environment, capsys, tmp_path):
    cli_environment.setenv("FIELDBOT_DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/x.db")
    for command in (["users", "list"], ["db", "upgrade"]):
        assert_one_line_error(
            await runner(capsys)(*command),
            "the folder of the SQLite database does not exist",
            str(tmp_path / "no" / "such" / "dir"),
        )
    assert not (tmp_path / "no").exists()


async def test_a_database_server_that_cannot_be_reached_is_one_line(cli_environment, capsys):
    cli_environment.setenv("FIELDBOT_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nothing")
    result = await runner(capsys)("sites", "list")
    assert result.code == 1
    assert result.err.startswith("fieldbot: error: database: ")
    assert len(result.err.splitlines()) == 1


def test_every_command_has_a_handler():
    parser = build_parser()
    assert set(COMMANDS) >= {"db", "sites", "users", "invite"}
    for argv in (
        ["db", "upgrade"],
        ["sites", "import", "x.csv"],
        ["sites", "import", "--sample"],
        ["sites", "list"],
        ["users", "add", "--name", "N", "--role", "admin", "--department", "KHAC"],
        ["users", "list"],
        ["users", "deactivate", "1", "2"],
        ["users", "activate", "1"],
        ["invite", "--role", "head", "--department", "QLTM"],
    ):
        assert callable(parser.parse_args(argv).handler), argv


@pytest.mark.parametrize(
    "argv",
    [
        ["sites", "import"],
        ["sites", "import", "x.csv", "--sample"],
        ["users", "add", "--name", "N", "--role", "boss", "--department", "QLTM"],
        [
            "users",
            "add",
            "--name",
            "N",
            "--role",
            "head",
            "--department",
            "QLTM",
            "--telegram-id",
            "@lan",
        ],
        ["invite", "--role", "head", "--department", "QLTM", "--days", "0"],
    ],
)
def test_usage_mistakes_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_rejected_token_is_recognised_among_causes_and_groups():
    from telegram.error import InvalidToken

    from bot.channels.zalo import ZaloError
    from bot.cli.common import TELEGRAM_REJECTED, ZALO_REJECTED, rejected_token

    def wrapped(inner: BaseException) -> BaseException:
        try:
            try:
                raise inner
            except BaseException as error:
                raise RuntimeError("while starting") from error
        except RuntimeError as outer:
            return ExceptionGroup("channels", [ValueError("other"), outer])

    assert rejected_token(InvalidToken("The token `1:x` was rejected")) == TELEGRAM_REJECTED
    assert rejected_token(wrapped(InvalidToken())) == TELEGRAM_REJECTED
    assert rejected_token(wrapped(ZaloError(401, "Unauthorized"))) == ZALO_REJECTED
    assert rejected_token(ZaloError(403, "Forbidden")) == ZALO_REJECTED
    assert rejected_token(ZaloError(429, "Too many requests")) is None
    assert rejected_token(wrapped(ValueError("no"))) is None


# --- start-up (issue 11) and the package's shape (issue 9) -----------------------

HEAVY = ("sqlmodel", "sqlalchemy", "alembic", "matplotlib", "openpyxl", "docx", "telegram")

# Runs `fieldbot ARGS --help` in a fresh interpreter and prints the heavy modules loaded.
_HELP_PROBE = """
import sys
from bot.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[0].split(",")))
print("HEAVY:" + ",".join(heavy), file=sys.stderr)
"""


def _command_paths(parser, prefix=()):
    """Every command and sub-command of the parser, as argument lists."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield [*prefix, name]
                yield from _command_paths(sub, (*prefix, name))


def test_help_of_every_command_imports_no_heavy_library(tmp_path):
    import subprocess
    import sys

    paths = [[]] + list(_command_paths(build_parser()))
    assert ["db", "upgrade"] in paths and ["run"] in paths and ["webhook", "info"] in paths
    for argv in paths:
        finished = subprocess.run(
            [sys.executable, "-c", _HELP_PROBE.replace("sys.argv[0]", repr(",".join(HEAVY)))]
            + [*argv, "--help"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        assert "usage: fieldbot" in finished.stdout, (argv, finished.stderr)
        assert "HEAVY:\n" in finished.stderr, (argv, finished.stderr.splitlines()[-1:])


def test_the_probe_sees_a_heavy_import(tmp_path):
    """The check above can fail: a command that imports SQLModel is seen."""
    import subprocess
    import sys

    probe = _HELP_PROBE.replace("sys.argv[0]", repr(",".join(HEAVY))).replace(
        "import sys\n", "import sys\nimport sqlmodel\n", 1
    )
    finished = subprocess.run(
        [sys.executable, "-c", probe, "--help"], capture_output=True, text=True, cwd=tmp_path
    )
    assert "HEAVY:sqlalchemy,sqlmodel" in finished.stderr


def test_revisions_read_from_the_files_match_alembic():
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS, migration_revisions

    walked = [r.revision for r in ScriptDirectory(str(MIGRATIONS)).walk_revisions()]
    assert migration_revisions() == walked


def test_the_cli_choices_agree_with_the_tables():
    from storage import models, vocabulary

    assert vocabulary.ROLES == models.ROLES
    assert vocabulary.SITE_KINDS == models.SITE_KINDS
    assert vocabulary.CHANNELS == models.CHANNELS


def test_the_command_modules_do_not_import_the_package():
    """No cycle: bot.cli imports the group modules, never the other way round."""
    import ast
    from pathlib import Path

    import bot.cli

    for path in Path(bot.cli.__file__).parent.glob("*.py"):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "bot.cli":
                raise AssertionError(f"{path.name} imports bot.cli (a cycle)")
            if isinstance(node, ast.Import) and any(a.name == "bot.cli" for a in node.names):
                raise AssertionError(f"{path.name} imports bot.cli (a cycle)")


def test_the_webhook_secret_from_the_environment_never_reaches_an_error(cli_environment, capsys):
    from bot.cli import _fail

    secret = "only-the-office-knows-this-1234"
    cli_environment.setenv("FIELDBOT_WEBHOOK_SECRET", secret)
    _fail(f"something went wrong near {secret}", 2)
    err = capsys.readouterr().err
    assert secret not in err and "<token>" in err


def test_the_webhook_secret_is_hidden_in_the_log(cli_environment, capsys):
    from bot.config import load_config
    from bot.logs import setup_logging

    secret = "only-the-office-knows-this-5678"
    cli_environment.setenv("FIELDBOT_WEBHOOK_SECRET", secret)
    setup_logging(load_config().secrets())
    logging.getLogger("fieldbot.test").warning("a request carried %s", secret)
    err = capsys.readouterr().err
    assert "a request carried <token>" in err and secret not in err
