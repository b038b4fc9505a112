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


def vận_hành() -> str:
    readme = (DEPLOY.parent / "README.md").read_text(encoding="utf-8")
    return readme.split("## Vận hành", 1)[1].split("\n## ", 1)[0]


def test_the_admin_wrapper_runs_fieldbot_as_the_service_does():
    text = (DEPLOY / "fieldbot-admin").read_text(encoding="utf-8")
    service = unit("fieldbot.service")["Service"]
    assert f". {service['EnvironmentFile']}" in text
    assert f"cd {service['WorkingDirectory']}" in text
    assert f"runuser -u {service['User']} --" in text
    fieldbot, config = shlex.split(service["ExecStart"])[:3:2]
    assert f"{fieldbot} --config {config} " in text


def test_every_admin_command_in_the_operations_section_exists():
    commands = re.findall(r"fieldbot-admin ((?:[a-z][a-z-]*)(?: [^#`\n|]*)?)", vận_hành())
    assert len(commands) >= 10
    parser = build_parser()
    for command in commands:
        words = shlex.split(command.replace("TỆP", "file"))
        try:
            args = parser.parse_args(words)
        except SystemExit:  # argparse's answer to a word it does not know
            raise AssertionError(f"README: fieldbot-admin {command.strip()}") from None
        assert callable(args.handler), command


def test_the_admin_wrapper_uses_the_env_file_unless_a_database_is_given(tmp_path):
    """deploy/fieldbot-admin itself, its paths moved into tmp_path (runuser needs root)."""
    import os
    import pwd
    import shutil
    import subprocess

    import pytest

    from tests.bot_process import FIELDBOT

    if os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("runuser as root is needed to run deploy/fieldbot-admin")
    home = tmp_path / "var-lib-fieldbot"
    home.mkdir()
    (tmp_path / "config.toml").write_text("[reminders]\nenabled = false\n", encoding="utf-8")
    (tmp_path / "fieldbot.env").write_text(
        f"FIELDBOT_DATABASE_URL=sqlite+aiosqlite:///{tmp_path}/from-env.db\n", encoding="utf-8"
    )
    script = (DEPLOY / "fieldbot-admin").read_text(encoding="utf-8")
    for real, moved in (
        ("/etc/fieldbot/fieldbot.env", str(tmp_path / "fieldbot.env")),
        ("/etc/fieldbot/config.toml", str(tmp_path / "config.toml")),
        ("/var/lib/fieldbot", str(home)),
        ("/opt/fieldbot/bin/fieldbot", str(FIELDBOT)),
        ("runuser -u fieldbot", f"runuser -u {pwd.getpwuid(os.geteuid()).pw_name}"),
    ):
        script = script.replace(real, moved)
    wrapper = tmp_path / "fieldbot-admin"
    wrapper.write_text(script, encoding="utf-8")
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}

    def admin(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(wrapper), *args], env={**env, **extra}, capture_output=True, text=True
        )

    assert admin("db", "upgrade").returncode == 0
    assert (tmp_path / "from-env.db").exists() and not (home / "fieldbot.db").exists()
    chosen = f"sqlite+aiosqlite:///{tmp_path}/restored.db"
    assert admin("db", "upgrade", FIELDBOT_DATABASE_URL=chosen).returncode == 0
    assert (tmp_path / "restored.db").exists()
