"""Configuration: built-in defaults, then a TOML file, then environment variables.

Every key is declared once in ``SCHEMA`` with its type and default, so a typo in
a file is reported as an unknown key instead of being silently ignored.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.logs import hide_tokens
from handlers.targets import DEFAULTS as TARGET_DEFAULTS
from handlers.targets import TARGETED, parse_targets
from storage.vocabulary import START_YEAR


class ConfigError(Exception):
    """A configuration problem, worded for the person who edits the file."""


def _url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("a URL starting with http:// or https://")
    return value


def _database_url(value: str) -> str:
    if "://" not in value:
        raise ValueError("a database URL such as sqlite+aiosqlite:///fieldbot.db")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("an IANA time zone such as Asia/Ho_Chi_Minh") from None
    return value


def _language(value: str) -> str:
    if value not in ("vi", "en"):
        raise ValueError('"vi" or "en"')
    return value


def _period(value: str) -> str:
    if value not in ("month", "quarter", "year"):
        raise ValueError('"month", "quarter" or "year"')
    return value


def _clock_time(value: str) -> str:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError('a time of day such as "08:00"')
    return value


def _iso_dates(value: list) -> list:
    from datetime import date

    for item in value:
        try:
            date.fromisoformat(str(item))
        except ValueError:
            example = 'a list of dates such as ["2026-09-02"]'
            raise ValueError(f"{example} ({item!r} is not one)") from None
    return value


def _tile_url(value: str) -> str:
    # A Leaflet template such as https://tile.example.gov.vn/{z}/{x}/{y}.png; empty = no tiles.
    if not value:
        return value
    placeholders = all(part in value for part in ("{z}", "{x}", "{y}"))
    if not placeholders or not value.startswith(("http://", "https://")):
        raise ValueError("an http(s) tile URL template with {z}, {x} and {y}, or empty")
    return value


def _port_or_zero(value: int) -> int:
    if not 0 <= value <= 65535:
        raise ValueError("a port number from 1 to 65535, or 0 for none")
    return value


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError("a whole number greater than 0")
    return value


def _short_text(value: str, limit: int) -> str:
    if not value.strip() or len(value) > limit:
        raise ValueError(f"a non-empty text of at most {limit} characters")
    return value


def _pseudonym(value: str) -> str:
    try:
        shown = value.format(number=17)
    except (KeyError, IndexError, ValueError):
        shown = value
    if "{number}" not in value or shown == value:
        raise ValueError('a text with {number}, such as "Cán bộ #{number}"')
    return value


def _review_rule(value: str) -> str:
    if value not in ("all", "approved"):
        raise ValueError('"all" (every submitted check but the rejected ones) or "approved"')
    return value


def _targets(percent: bool):
    def check(value: str) -> str:
        try:
            parse_targets(value, percent)
        except ValueError:
            example = '"70%@2025, 100%@2030"' if percent else '"1-2@2025"'
            raise ValueError(f"a list of targets such as {example}") from None
        return value

    return check


# section -> key -> (python type, default, optional validator)
SCHEMA: dict[str, dict[str, tuple[type, Any, Any]]] = {
    "database": {
        "url": (str, "sqlite+aiosqlite:///fieldbot.db", _database_url),
    },
    "bot": {
        "timezone": (str, "Asia/Ho_Chi_Minh", _timezone),
        "language": (str, "vi", _language),
        "media_dir": (str, "media", None),
        "invite_valid_days": (int, 7, _positive),
        "duplicate_check_period": (str, "month", _period),
        # A larger photo is refused with a polite message, never downloaded.
        "max_photo_mb": (int, 10, _positive),
    },
    "telegram": {
        "token": (str, "", None),
        "api_base_url": (str, "https://api.telegram.org/bot", _url),
        "file_base_url": (str, "https://api.telegram.org/file/bot", _url),
    },
    "reminders": {
        "enabled": (bool, True, None),
        "tick_time": (str, "08:00", _clock_time),
        # Vietnamese public holidays with fixed dates; add Tết and Hùng Kings' day
        # (lunar calendar) for each year in the configuration file.
        "holidays": (
            list,
            [
                "2026-01-01",
                "2026-04-30",
                "2026-05-01",
                "2026-09-01",
                "2026-09-02",
                "2027-01-01",
                "2027-04-30",
                "2027-05-01",
                "2027-09-02",
            ],
            _iso_dates,
        ),
        "retry_minutes": (int, 30, _positive),
        "max_attempts": (int, 5, _positive),
        # Overdue reminders go on every working day until the head confirms, for at
        # most this many days; then KTATMT gets one last escalation and the bot stops.
        "overdue_limit_days": (int, 31, _positive),
    },
    "webhook": {
        # Public https address of this server, e.g. "https://bot.example.gov.vn";
        # empty = long polling. Telegram posts to <url>/telegram, Zalo to <url>/zalo.
        "url": (str, "", lambda v: _url(v) if v else v),
        "secret": (str, "", None),
        "host": (str, "127.0.0.1", None),
        "port": (int, 8080, _positive),
        # Bytes; a larger request is answered 413 before it is read (an update is a few kB).
        "max_body": (int, 1_000_000, _positive),
        # Seconds a client has to send a whole request (headers and body) once it has
        # connected or begun one; a slower one is disconnected (slowloris).
        "read_timeout": (int, 10, _positive),
    },
    # GET /healthz for the office's monitoring (on the webhook server when [webhook] url
    # is set; while polling, on [webhook] host at this port; 0 = none while polling).
    "health": {
        "port": (int, 0, _port_or_zero),
        "stale_after": (int, 300, _positive),
    },
    # The office web console (bot/web): sign-in by a one-time link sent with /web.
    "web": {
        "enabled": (bool, False, None),
        "host": (str, "127.0.0.1", None),
        "port": (int, 8090, _positive),
        # The address people open, e.g. "https://fieldbot.sct.quangngai.gov.vn";
        # empty = http://host:port. Cookies are Secure when it is https.
        "base_url": (str, "", lambda v: _url(v).rstrip("/") if v else v),
        "tile_url": (str, "", _tile_url),
    },
    # The plan's targets (Decision 889/QĐ-TTg): VALUE@YEAR, several separated by commas.
    # The defaults are handlers/targets.py's (one copy), percentages where it says so.
    "targets": {
        "start_year": (int, START_YEAR, _positive),
        **{
            key: (str, TARGET_DEFAULTS[key], _targets(percent=TARGETED[key][0])) for key in TARGETED
        },
    },
    # Personal data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): see the README.
    "privacy": {
        # Shown at registration and recorded with each consent; change it when the
        # notice's text changes.
        "notice_version": (str, "2026-01", lambda v: _short_text(v, 32)),
        "retention_years": (int, 5, _positive),
        "draft_days": (int, 30, _positive),
        "message_days": (int, 90, _positive),
        "pseudonym": (str, "Cán bộ #{number}", _pseudonym),
    },
    # Review of submitted checks (handlers/review.py): which checks the indicators
    # count, and the nudges about pending corrections and untouched drafts.
    "review": {
        "indicators": (str, "all", _review_rule),
        "correction_nudges": (int, 3, _positive),
        "draft_nudge_hours": (int, 4, _positive),
        "draft_abandon_days": (int, 14, _positive),
    },
    "zalo": {
        "token": (str, "", None),
        "api_base_url": (str, "https://bot-api.zaloplatforms.com/bot", _url),
    },
}

# Environment variables for secrets and deployment: (section, key).
ENVIRONMENT = {
    "FIELDBOT_DATABASE_URL": ("database", "url"),
    "FIELDBOT_TELEGRAM_TOKEN": ("telegram", "token"),
    "FIELDBOT_ZALO_TOKEN": ("zalo", "token"),
    "FIELDBOT_WEBHOOK_SECRET": ("webhook", "secret"),
}

SECRET_KEYS = {("telegram", "token"), ("zalo", "token"), ("webhook", "secret")}


@dataclass(frozen=True)
class Config:
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None

    def get(self, section: str, key: str) -> Any:
        return self.values[section][key]

    @property
    def database_url(self) -> str:
        return self.get("database", "url")

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.get("bot", "timezone"))

    @property
    def language(self) -> str:
        return self.get("bot", "language")

    @property
    def media_dir(self) -> Path:
        return Path(self.get("bot", "media_dir"))

    @property
    def telegram_token(self) -> str:
        return self.get("telegram", "token")

    @property
    def zalo_token(self) -> str:
        return self.get("zalo", "token")

    @property
    def web_base_url(self) -> str:
        """Where people open the web console (no trailing slash)."""
        given = self.get("web", "base_url")
        return given or f"http://{self.get('web', 'host')}:{self.get('web', 'port')}"

    def secrets(self) -> list[str]:
        """Every configured secret, so logging can hide them."""
        return [self.get(s, k) for s, k in SECRET_KEYS if self.get(s, k)]

    def with_values(self, **sections: dict[str, Any]) -> Config:
        """A copy with some keys replaced (used by tests and the demo)."""
        merged = {name: dict(keys) for name, keys in self.values.items()}
        for name, keys in sections.items():
            merged[name].update(keys)
        return Config(merged, self.source)


def defaults() -> dict[str, dict[str, Any]]:
    return {s: {k: spec[1] for k, spec in keys.items()} for s, keys in SCHEMA.items()}


def _check(section: str, key: str, value: Any, where: str) -> Any:
    expected_type, _default, validator = SCHEMA[section][key]
    name = f"[{section}] {key}"
    # bool is an int in Python; a TOML true must not pass as a number.
    if not isinstance(value, expected_type) or (expected_type is int and isinstance(value, bool)):
        kind = {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}[
            expected_type
        ]
        raise ConfigError(f"{where}: {name} must be {kind}, got {type(value).__name__}")
    if validator is not None:
        try:
            return validator(value)
        except ValueError as expected:
            # A token pasted into the wrong key must not be echoed either.
            shown = "(hidden)" if (section, key) in SECRET_KEYS else hide_tokens(repr(value))
            raise ConfigError(f"{where}: {name} must be {expected}, got {shown}") from None
    return value


def _merge_file(values: dict[str, dict[str, Any]], path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    for section, keys in data.items():
        if section not in SCHEMA:
            known = ", ".join(f"[{s}]" for s in SCHEMA)
            raise ConfigError(f"{path}: unknown section [{section}] (known: {known})")
        if not isinstance(keys, dict):
            raise ConfigError(f"{path}: [{section}] must be a table of keys")
        for key, value in keys.items():
            if key not in SCHEMA[section]:
                known = ", ".join(SCHEMA[section])
                raise ConfigError(f"{path}: unknown key [{section}] {key} (known keys: {known})")
            values[section][key] = _check(section, key, value, str(path))


def find_config_file(explicit: str | os.PathLike[str] | None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get("FIELDBOT_CONFIG"):
        return Path(os.environ["FIELDBOT_CONFIG"])
    local = Path("config.toml")
    return local if local.exists() else None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Defaults, then the file (explicit, $FIELDBOT_CONFIG or ./config.toml), then env."""
    values = defaults()
    source = find_config_file(path)
    if source is not None:
        _merge_file(values, source)
    for variable, (section, key) in ENVIRONMENT.items():
        if os.environ.get(variable):
            values[section][key] = _check(section, key, os.environ[variable], variable)
    return Config(values, source)
