"""The deploy/ examples (issue 16, "Limits and health") say what the README promises:
a non-root service restarted on failure that runs a real `fieldbot` command line, a
nightly backup through `fieldbot db backup`, and a proxy that forwards only the
webhook paths to the configured port with a body limit."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from bot.cli import build_parser
from bot.cli.database import cmd_db_backup
from bot.cli.running import cmd_run
from bot.config import defaults

DEPLOY = Path(__file__).parent.parent / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def fieldbot_arguments(command: str) -> list[str]:
    words = shlex.split(command)
    return words[words.index(next(w for w in words if w.endswith("/fieldbot"))) + 1 :]


def test_the_service_runs_fieldbot_as_its_own_user_and_restarts_on_failure():
    service = unit("fieldbot.service")["Service"]
    assert service["User"] not in ("", "root") and service["Group"] not in ("", "root")
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "true"
    args = build_parser().parse_args(fieldbot_arguments(service["ExecStart"]))
    assert args.handler is cmd_run and args.config == "/etc/fieldbot/config.toml"
    # A rejected token (exit 2) is not retried for ever.
    assert "2" in service["RestartPreventExitStatus"].split()


def test_the_nightly_backup_calls_fieldbot_db_backup():
    service = unit("fieldbot-backup.service")["Service"]
    assert service["User"] == unit("fieldbot.service")["Service"]["User"]
    inner = shlex.split(service["ExecStart"])[-1].replace("%%", "%")
    inner = re.sub(r"\$\([^)]*\)", "2026-12-01", inner)  # what the shell makes of $(date ...)
    args = build_parser().parse_args(fieldbot_arguments(inner))
    assert args.handler is cmd_db_backup and args.file.endswith(".tar.gz")
    assert unit("fieldbot-backup.timer")["Timer"]["OnCalendar"]


def test_the_proxy_forwards_the_webhook_paths_to_the_default_port_with_a_body_limit():
    text = (DEPLOY / "nginx-fieldbot.conf").read_text(encoding="utf-8")
    webhook = defaults()["webhook"]
    upstream = f"http://{webhook['host']}:{webhook['port']}"
    for path in ("/telegram", "/zalo", "/healthz"):
        block = re.search(rf"location = {path}\s*{{([^}}]*)}}", text)
        assert block and f"proxy_pass {upstream};" in block.group(1), path
    limit = re.search(r"client_max_body_size (\d+)m;", text)
    assert limit and int(limit.group(1)) * 1_000_000 <= webhook["max_body"] * 1.05
