"""Command-line commands that run the bot or its clock: demo, run, reminders, deadlines."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config


TELEGRAM_REJECTED = (
    "Telegram rejected the bot token ([telegram] token / FIELDBOT_TELEGRAM_TOKEN); "
    "check it with @BotFather"
)
ZALO_REJECTED = (
    "Zalo rejected the bot token ([zalo] token / FIELDBOT_ZALO_TOKEN); "
    "check it in the Zalo Bot Platform"
)


def rejected_token(error: BaseException) -> str | None:
    """The one line to print when ``error`` means a platform refused the bot token
    (found anywhere among its causes and in exception groups), else None. The
    platform's own message is never shown: python-telegram-bot's quotes the token."""
    from telegram.error import InvalidToken

    pending: list[BaseException | None] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, InvalidToken):
            return TELEGRAM_REJECTED
        # bot.channels.zalo.ZaloError, by name: the channel modules may change freely.
        if type(current).__name__ == "ZaloError" and getattr(current, "code", None) in (401, 403):
            return ZALO_REJECTED
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend((current.__cause__, current.__context__))
    return None


def add_demo(subcommands: argparse._SubParsersAction) -> None:
    demo = subcommands.add_parser("demo", help="try the bot in this terminal: no token, no network")
    demo.add_argument(
        "--as",
        dest="as_role",
        choices=["inspector", "admin"],
        default="inspector",
        help="who you are in the demo",
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    from bot.app import build_engine
    from bot.channels.terminal import demo_database_url, main_demo
    from storage.db import Database

    # The demo keeps its own SQLite file so it never touches a real database.
    engine = build_engine(config, Database(demo_database_url()))
    return main_demo(engine, args.as_role)


def add_run(subcommands: argparse._SubParsersAction) -> None:
    run = subcommands.add_parser("run", help="run the bot (Telegram) and the reminder clock")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import CommandError, run_with_database
    from bot.runner import run_bot

    if not config.telegram_token and not config.zalo_token:
        raise CommandError(
            "no channel is configured: set FIELDBOT_TELEGRAM_TOKEN (a token from @BotFather) "
            "and/or FIELDBOT_ZALO_TOKEN (Zalo Bot Platform), or [telegram]/[zalo] token in "
            "config.toml; to try the bot without one, run `fieldbot demo`"
        )
    if config.get("webhook", "url"):
        _check_webhook_secret(config)
    run_with_database(config, lambda database: run_bot(config, database))
    return 0


def add_reminders(subcommands: argparse._SubParsersAction) -> None:
    reminders = subcommands.add_parser("reminders", help="deadline reminders")
    actions = reminders.add_subparsers(dest="action", metavar="ACTION", required=True)
    preview = actions.add_parser("preview", help="show what would be sent on a day")
    preview.add_argument(
        "--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
    )
    preview.set_defaults(handler=cmd_reminders_preview)
    once = actions.add_parser("run-once", help="run one tick as if it were that moment")
    once.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="ISO 8601 moment (default: now); without an offset, local time",
    )
    once.set_defaults(handler=cmd_reminders_run_once)


def cmd_reminders_preview(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import print_table, run_with_database
    from bot.scheduler import build_reminders

    day = args.date or datetime.now(config.timezone).date()

    async def work(database):
        return await build_reminders(config, database).plan(day, only_new_slots=True)

    planned = run_with_database(config, work)
    print(f"Reminders for {day.strftime('%d/%m/%Y')}: {len(planned)}")
    if not planned:
        return 0
    print_table(
        ["to", "department", "kind", "already"],
        [
            [p.person.name, p.key["department_code"], p.key["kind"], p.already or ""]
            for p in planned
        ],
    )
    for item in planned:
        print(f"\n— {item.person.name} ({item.key['department_code']}):")
        for reply in item.replies:
            print(reply.text)
    return 0


# How long run-once waits for a messenger that does not answer before going without it.
OPEN_TIMEOUT = 60.0


def cmd_reminders_run_once(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import CommandError, run_with_database

    if not (config.telegram_token or config.zalo_token):
        raise CommandError(
            "reminders need a channel: set FIELDBOT_TELEGRAM_TOKEN or FIELDBOT_ZALO_TOKEN"
        )
    now = args.now or datetime.now(config.timezone)
    if now.tzinfo is None:
        now = now.replace(tzinfo=config.timezone)

    async def work(database):
        from bot.app import build_engine
        from bot.notify import Notifier
        from bot.runner import build_channels
        from bot.scheduler import build_reminders

        # Every configured channel, as `fieldbot run` has: a Zalo-only head is reachable.
        channels = build_channels(config, build_engine(config, database))
        opened = {}
        try:
            for name, channel in channels.items():
                try:
                    await asyncio.wait_for(channel.open(), OPEN_TIMEOUT)
                except TimeoutError:
                    print(f"{name} unreachable: reminders go through the other channels")
                    continue
                opened[name] = channel
            return await build_reminders(config, database).tick(now, Notifier(database, opened))
        finally:
            for channel in channels.values():
                await channel.close()

    report = run_with_database(config, work)
    print(
        f"sent {report.sent}, failed {report.failed}, unreachable {report.unreachable}, "
        f"already handled {report.skipped}"
    )
    return 1 if report.failed else 0


def add_deadlines(subcommands: argparse._SubParsersAction) -> None:
    deadlines = subcommands.add_parser("deadlines", help="reporting deadlines")
    actions = deadlines.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="show the deadlines").set_defaults(handler=cmd_deadlines_list)
    add = actions.add_parser("add", help="add a deadline")
    add.add_argument("--title", required=True, help="title in Vietnamese")
    add.add_argument("--title-en", default=None, help="title in English")
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--due", type=date.fromisoformat, help="fixed due date YYYY-MM-DD")
    when.add_argument("--yearly", metavar="DD-MM", help="every year on this day, e.g. 10-12")
    add.add_argument("--departments", default="", help="codes separated by commas (default all)")
    add.add_argument("--offsets", default="30,14,7,3,1,0", help="days before the due date")
    add.add_argument("--no-overdue", action="store_true", help="no daily reminders after it")
    add.add_argument("--escalate-to", default="KTATMT", help="department told about overdue ones")
    add.set_defaults(handler=cmd_deadlines_add)
    remove = actions.add_parser("remove", help="stop a deadline's reminders")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=cmd_deadlines_remove)


def cmd_deadlines_list(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import print_table, run_with_database
    from storage import reminders

    async def work(database):
        async with database.session() as session:
            return await reminders.active_deadlines(session)

    rows = []
    for d in run_with_database(config, work):
        due = (
            d.due_date.strftime("%d/%m/%Y")
            if d.due_date
            else f"{d.yearly_day:02d}/{d.yearly_month:02d} yearly"
        )
        rows.append(
            [
                d.id,
                d.title_vi,
                due,
                ",".join(d.departments) or "all",
                ",".join(map(str, d.offsets)),
                "yes" if d.repeat_overdue else "no",
                d.escalate_to or "",
            ]
        )
    print_table(["id", "title", "due", "departments", "offsets", "overdue", "escalate"], rows)
    return 0


def cmd_deadlines_add(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import CommandError, run_with_database
    from storage import reminders
    from storage.models import Deadline

    try:
        offsets = sorted({int(x) for x in args.offsets.split(",") if x.strip()}, reverse=True)
    except ValueError:
        raise CommandError("--offsets must be whole numbers separated by commas") from None
    if any(o < 0 for o in offsets):
        raise CommandError("--offsets must not be negative")
    day = month = None
    if args.yearly:
        try:
            day, month = (int(x) for x in args.yearly.split("-"))
            date(2024, month, day)
        except ValueError:
            raise CommandError("--yearly must be DD-MM, e.g. 10-12") from None
    codes = [c.strip().upper() for c in args.departments.split(",") if c.strip()]

    async def work(database):
        async with database.session() as session:
            known = {d.code for d in await reminders.all_departments(session)}
            unknown = [c for c in codes + [args.escalate_to] if c and c not in known]
            if unknown:
                raise CommandError(f"unknown department(s): {', '.join(unknown)}")
            deadline = await reminders.add_deadline(
                session,
                Deadline(
                    title_vi=args.title,
                    title_en=args.title_en or args.title,
                    due_date=args.due,
                    yearly_month=month,
                    yearly_day=day,
                    departments=codes,
                    offsets=offsets,
                    repeat_overdue=not args.no_overdue,
                    escalate_to=args.escalate_to or None,
                ),
            )
            await session.commit()
            return deadline.id

    print(f"deadline {run_with_database(config, work)} added")
    return 0


def cmd_deadlines_remove(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import CommandError, run_with_database
    from storage import reminders

    async def work(database):
        async with database.session() as session:
            removed = await reminders.remove_deadline(session, args.id)
            await session.commit()
            return removed

    if not run_with_database(config, work):
        raise CommandError(f"no active deadline with id {args.id}", exit_code=1)
    print(f"deadline {args.id} removed")
    return 0


def add_reports(subcommands: argparse._SubParsersAction) -> None:
    summary = subcommands.add_parser("summary", help="indicators against the targets")
    summary.add_argument("--year", type=int, default=None)
    summary.add_argument("--commune", default=None)
    summary.add_argument("--department", default=None)
    summary.set_defaults(handler=cmd_summary)
    for name, helptext, handler in (
        ("export", "Excel workbook of every check", cmd_export),
        ("report", "Word draft of the annual report", cmd_report),
    ):
        parser = subcommands.add_parser(name, help=helptext)
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--out", required=True, help="file to write")
        parser.set_defaults(handler=handler)


def _year(args: argparse.Namespace, config: Config) -> int:
    return args.year or datetime.now(config.timezone).year


def _report_settings(config: Config):
    from handlers.reports import ReportSettings
    from storage.kpis import Targets

    return ReportSettings(
        timezone=config.timezone, targets=Targets.from_config(config.values["targets"])
    )


def cmd_summary(args: argparse.Namespace, config: Config) -> int:
    from bot.cli import run_with_database
    from handlers.reports import summary_text

    async def work(database):
        async with database.session() as session:
            return await summary_text(
                session,
                _year(args, config),
                config.language,
                args.department,
                args.commune,
                settings=_report_settings(config),
            )

    print(run_with_database(config, work))
    return 0


def _write_file(writer_name: str, args: argparse.Namespace, config: Config) -> int:
    """`fieldbot export` and `fieldbot report`: one file for a year, from the database."""
    from pathlib import Path

    from bot.cli import run_with_database
    from handlers import reports

    writer = getattr(reports, writer_name)

    async def work(database):
        async with database.session() as session:
            return await writer(
                session, _year(args, config), Path(args.out), settings=_report_settings(config)
            )

    print(f"written {run_with_database(config, work)}")
    return 0


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    return _write_file("export_xlsx", args, config)


def cmd_report(args: argparse.Namespace, config: Config) -> int:
    return _write_file("report_docx", args, config)


def _check_webhook_secret(config: Config) -> str:
    import re

    from bot.cli import CommandError

    secret = config.get("webhook", "secret")
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,256}", secret):
        raise CommandError(
            "[webhook] secret (or FIELDBOT_WEBHOOK_SECRET) must be 8-256 letters, digits, _ or -"
        )
    return secret


def add_webhook(subcommands: argparse._SubParsersAction) -> None:
    webhook = subcommands.add_parser("webhook", help="register the webhook with the platforms")
    actions = webhook.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext in (
        ("set", "register [webhook] url with Telegram and Zalo"),
        ("delete", "remove the webhooks (back to long polling)"),
        ("info", "show what the platforms have registered"),
    ):
        actions.add_parser(name, help=helptext).set_defaults(
            handler=cmd_webhook, webhook_action=name
        )


def cmd_webhook(args: argparse.Namespace, config: Config) -> int:
    """Talks to each platform that has a token: Telegram via python-telegram-bot,
    Zalo via our client. Tokens never appear in what is printed."""
    from bot.cli import CommandError

    action = args.webhook_action
    base = config.get("webhook", "url").rstrip("/")
    if action == "set":
        if not base.startswith("https://"):
            raise CommandError("[webhook] url must be a public https:// address")
        secret = _check_webhook_secret(config)
    if not config.telegram_token and not config.zalo_token:
        raise CommandError("no channel token is configured")

    async def work() -> list[str]:
        lines = []
        if config.telegram_token:
            from telegram import Bot

            telegram = config.values["telegram"]
            async with Bot(telegram["token"], base_url=telegram["api_base_url"]) as bot:
                if action == "set":
                    await bot.set_webhook(
                        f"{base}/telegram",
                        secret_token=secret,
                        allowed_updates=["message", "callback_query"],
                    )
                elif action == "delete":
                    await bot.delete_webhook()
                info = await bot.get_webhook_info()
                lines.append(
                    f"telegram: {info.url or '(none)'}, pending "
                    f"{info.pending_update_count}"
                    + (
                        f", last error: {info.last_error_message}"
                        if info.last_error_message
                        else ""
                    )
                )
        if config.zalo_token:
            from bot.channels.zalo import ZaloClient

            zalo = config.values["zalo"]
            async with ZaloClient(zalo["token"], zalo["api_base_url"]) as client:
                if action == "set":
                    await client.set_webhook(f"{base}/zalo", secret)
                elif action == "delete":
                    await client.delete_webhook()
                info = await client.get_webhook_info() or {}
                lines.append(f"zalo: {info.get('url') or '(none)'}")
        return lines

    for line in asyncio.run(work()):
        print(line)
    return 0
