"""`fieldbot summary`, `fieldbot export` and `fieldbot report`: a year's figures."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from bot.cli.common import CommandError, run_with_database

if TYPE_CHECKING:
    from bot.config import Config


def add_reports(subcommands: argparse._SubParsersAction) -> None:
    summary = subcommands.add_parser("summary", help="indicators against the targets")
    summary.add_argument("--year", type=int, default=None)
    summary.add_argument("--commune", default=None)
    summary.add_argument("--department", default=None)
    _demo_option(summary)
    summary.set_defaults(handler=cmd_summary)
    for name, helptext, handler in (
        ("export", "Excel workbook of every check", cmd_export),
        ("report", "Word draft of the annual report", cmd_report),
    ):
        parser = subcommands.add_parser(name, help=helptext)
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--out", required=True, help="file to write")
        _demo_option(parser)
        parser.set_defaults(handler=handler)
        if name == "export":
            parser.add_argument(
                "--no-personal",
                action="store_true",
                help="leave out names, ids and coordinates (for sharing outside the Department)",
            )


def _demo_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo",
        action="store_true",
        help="read the database of `fieldbot demo` (./fieldbot-demo.db), not the configured one",
    )


def _database_of(args: argparse.Namespace, config: Config) -> Config:
    """The configuration, pointed at the demo's SQLite file with --demo."""
    if not args.demo:
        return config
    from bot.channels.demo import demo_database_path, demo_database_url

    if not demo_database_path().exists():
        raise CommandError(
            f"no demo database in this folder ({demo_database_path()}): run `fieldbot demo` "
            "here first"
        )
    return config.with_values(database={"url": demo_database_url()})


def _year(args: argparse.Namespace, config: Config) -> int:
    return args.year or datetime.now(config.timezone).year


def _report_settings(config: Config):
    from handlers.reports import ReportSettings
    from handlers.targets import Targets

    return ReportSettings(
        timezone=config.timezone,
        targets=Targets.from_config(config.values["targets"]),
        review_rule=config.get("review", "indicators"),
    )


def cmd_summary(args: argparse.Namespace, config: Config) -> int:
    from handlers.reports import summary_text
    from storage.statistics import statistics_before_reading

    async def work(database):
        await statistics_before_reading(database)
        async with database.session() as session:
            return await summary_text(
                session,
                _year(args, config),
                config.language,
                args.department,
                args.commune,
                settings=_report_settings(config),
            )

    print(run_with_database(_database_of(args, config), work))
    return 0


def _write_file(writer_name: str, args: argparse.Namespace, config: Config) -> int:
    """`fieldbot export` and `fieldbot report`: one file for a year, from the database."""
    from pathlib import Path

    from handlers import reports
    from storage.statistics import statistics_before_reading

    writer = getattr(reports, writer_name)

    async def work(database):
        from bot.cli.privacy import operator_name
        from storage.privacy import record_access

        await statistics_before_reading(database)
        async with database.session() as session:
            personal = not getattr(args, "no_personal", False)
            extra = {} if writer_name != "export_xlsx" else {"personal": personal}
            path = await writer(
                session,
                _year(args, config),
                Path(args.out),
                settings=_report_settings(config),
                **extra,
            )
            # The access log (Law 91/2025/QH15): who took which year's data out.
            action = writer_name.split("_")[0]
            detail = f"year={_year(args, config)} file={path.name}"
            detail += "" if personal else " personal=no"
            await record_access(session, operator_name(), action, detail)
            await session.commit()
            return path

    print(f"written {run_with_database(_database_of(args, config), work)}")
    return 0


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    return _write_file("export_xlsx", args, config)


def cmd_report(args: argparse.Namespace, config: Config) -> int:
    return _write_file("report_docx", args, config)
