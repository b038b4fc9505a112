"""Configuration: defaults, then the file, then the environment; mistakes stop with
one line naming the key, and tokens never show in messages or logs."""

from __future__ import annotations

import logging
import re
import sys

import pytest

from bot.cli import main
from bot.config import ConfigError, load_config
from bot.logs import RedactSecrets, setup_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
ENVIRONMENT = (
    "FIELDBOT_CONFIG",
    "FIELDBOT_DATABASE_URL",
    "FIELDBOT_TELEGRAM_TOKEN",
    "FIELDBOT_ZALO_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No FIELDBOT_* variables, no ./config.toml, and the root logger put back."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.NOTSET)


def write(tmp_path, text: str, name: str = "fieldbot.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file_or_environment():
    config = load_config()
    assert config.source is None
    assert config.database_url == "sqlite+aiosqlite:///fieldbot.db"
    assert config.get("bot", "timezone") == "Asia/Ho_Chi_Minh"
    assert config.language == "vi"
    assert config.telegram_token == ""
    assert config.zalo_token == ""
    assert config.get("telegram", "api_base_url") == "https://api.telegram.org/bot"
    assert config.get("telegram", "file_base_url") == "https://api.telegram.org/file/bot"
    assert config.get("bot", "invite_valid_days") == 7
    assert config.secrets() == []


def test_a_file_overrides_the_defaults_it_names(tmp_path):
    path = write(
        tmp_path,
        '[database]\nurl = "postgresql://fieldbot@db/fieldbot"\n'
        '[bot]\nlanguage = "en"\ninvite_valid_days = 3\n'
        '[telegram]\napi_base_url = "http://127.0.0.1:8081/bot"\n',
    )
    config = load_config(path)
    assert config.source == path
    assert config.database_url == "postgresql://fieldbot@db/fieldbot"
    assert config.language == "en"
    assert config.get("bot", "invite_valid_days") == 3
    assert config.get("telegram", "api_base_url") == "http://127.0.0.1:8081/bot"
    # Keys the file leaves out keep their defaults.
    assert config.get("bot", "timezone") == "Asia/Ho_Chi_Minh"
    assert config.get("telegram", "file_base_url") == "https://api.telegram.org/file/bot"


def test_the_environment_overrides_the_file(tmp_path, monkeypatch):
    path = write(
        tmp_path, '[database]\nurl = "sqlite:///from-file.db"\n[telegram]\ntoken = "from-file"\n'
    )
    monkeypatch.setenv("FIELDBOT_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.setenv("FIELDBOT_TELEGRAM_TOKEN", TOKEN)
    config = load_config(path)
    assert config.database_url == "postgresql://postgres@127.0.0.1/test"
    assert config.telegram_token == TOKEN
    assert config.secrets() == [TOKEN]


def test_fieldbot_config_names_the_file_and_an_explicit_file_wins(tmp_path, monkeypatch):
    from_variable = write(tmp_path, '[bot]\nlanguage = "en"\n', "from-variable.toml")
    explicit = write(tmp_path, '[bot]\ntimezone = "UTC"\n', "explicit.toml")
    monkeypatch.setenv("FIELDBOT_CONFIG", str(from_variable))
    assert load_config().language == "en"
    config = load_config(explicit)
    assert config.source == explicit
    assert config.language == "vi"
    assert config.get("bot", "timezone") == "UTC"


def test_config_toml_in_the_working_directory_is_used_when_nothing_else_is(tmp_path):
    write(tmp_path, '[bot]\nlanguage = "en"\n', "config.toml")
    assert load_config().language == "en"


def test_a_typo_in_a_key_names_the_key_and_hides_its_value(tmp_path):
    path = write(tmp_path, f'[telegram]\ntokn = "{TOKEN}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "unknown key [telegram] tokn" in message
    assert str(path) in message
    assert "token" in message  # the known keys are listed
    assert TOKEN not in message
    assert "\n" not in message


def test_an_unknown_section_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[telegarm\]"):
        load_config(write(tmp_path, '[telegarm]\ntoken = "x"\n'))


def test_a_base_url_that_is_not_a_url_names_the_key(tmp_path):
    path = write(tmp_path, '[telegram]\napi_base_url = "api.telegram.org/bot"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "[telegram] api_base_url" in message
    assert "http://" in message and "https://" in message


@pytest.mark.parametrize(
    ("toml", "key", "expected"),
    [
        ('[bot]\ninvite_valid_days = "7"\n', "[bot] invite_valid_days", "a whole number"),
        ("[bot]\ninvite_valid_days = true\n", "[bot] invite_valid_days", "a whole number"),
        ("[bot]\nlanguage = 1\n", "[bot] language", "a string"),
        ("[telegram]\ntoken = 123456\n", "[telegram] token", "a string"),
        ('[bot]\nlanguage = "fr"\n', "[bot] language", '"vi" or "en"'),
        ('[bot]\ntimezone = "Mars/Olympus"\n', "[bot] timezone", "IANA time zone"),
    ],
)
def test_a_wrong_type_or_value_names_the_key_and_what_was_expected(tmp_path, toml, key, expected):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, toml))
    assert key in str(caught.value)
    assert expected in str(caught.value)


def test_a_wrong_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("FIELDBOT_DATABASE_URL", "fieldbot.db")
    with pytest.raises(ConfigError, match="FIELDBOT_DATABASE_URL: .database. url"):
        load_config()


def test_a_missing_or_broken_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nowhere.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[bot\nlanguage = \n"))


def test_the_command_line_reports_a_config_mistake_in_one_line(tmp_path, capsys):
    path = write(tmp_path, f'[telegram]\ntokn = "{TOKEN}"\n')
    code = main(["--config", str(path), "sites", "list"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("fieldbot: error: ")
    assert "[telegram] tokn" in lines[0]
    assert TOKEN not in err


@pytest.mark.parametrize(
    ("toml", "key", "secret"),
    [
        # Shaped like a Telegram token: hidden although the config never loaded.
        (f'[telegram]\napi_base_url = "api.telegram.org/bot{TOKEN}"\n', "[telegram]", TOKEN),
        # Any value of a token variable in the environment.
        ('[zalo]\napi_base_url = "zalo-secret-42"\n', "[zalo]", "zalo-secret-42"),
    ],
)
def test_the_command_line_hides_a_token_pasted_into_a_url_key(
    tmp_path, capsys, monkeypatch, toml, key, secret
):
    monkeypatch.setenv("FIELDBOT_ZALO_TOKEN", "zalo-secret-42")
    code = main(["--config", str(write(tmp_path, toml)), "db", "upgrade"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{key} api_base_url" in err
    assert secret not in err
    assert "<token>" in err


def test_a_missing_config_file_on_the_command_line_is_one_line(tmp_path, capsys):
    code = main(["--config", str(tmp_path / "nowhere.toml"), "users", "list"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "nowhere.toml: configuration file not found" in err


def _record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("httpx", logging.INFO, __file__, 1, message, args, exc_info)


def test_redaction_hides_a_configured_token_in_messages_and_arguments():
    redact = RedactSecrets([TOKEN])
    record = _record("token is %s, again %s", TOKEN, TOKEN)
    assert redact.filter(record) is True
    assert TOKEN not in record.getMessage()
    assert record.getMessage() == "token is <token>, again <token>"


def test_redaction_hides_the_token_inside_an_httpx_request_url():
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    record = _record('HTTP Request: POST %s "HTTP/1.1 200 OK"', url)
    RedactSecrets([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage()
    assert "https://api.telegram.org/bot<token>/getMe" in record.getMessage()


def test_redaction_hides_a_token_shaped_text_nobody_configured():
    record = _record(f"unexpected reply for {TOKEN} from the server")
    RedactSecrets([]).filter(record)
    assert TOKEN not in record.getMessage()


def test_redaction_by_shape_alone_hides_the_token_inside_a_url():
    redact = RedactSecrets([])
    assert TOKEN not in redact.redact(f"https://api.telegram.org/bot{TOKEN}/getMe")


def test_redaction_hides_the_token_in_a_logged_traceback():
    try:
        raise RuntimeError(f"failed calling https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        record = _record("request failed", exc_info=sys.exc_info())
    RedactSecrets([TOKEN]).filter(record)
    assert record.exc_info is None
    assert "RuntimeError" in record.exc_text
    assert TOKEN not in record.exc_text


def test_set_up_logging_never_writes_the_token(capsys):
    setup_logging([TOKEN])
    logging.getLogger("fieldbot.test").warning("calling %s", f"https://x/bot{TOKEN}/getMe")
    try:
        raise ValueError(TOKEN)
    except ValueError:
        logging.getLogger("fieldbot.test").exception("it broke")
    # httpx logs each request URL at INFO; set_up keeps it at WARNING.
    logging.getLogger("httpx").info("HTTP Request: GET https://x/bot%s/getMe", TOKEN)
    err = capsys.readouterr().err
    assert "calling https://x/bot<token>/getMe" in err
    assert "it broke" in err and "ValueError" in err
    assert TOKEN not in err
    assert "HTTP Request" not in err


def test_targets_come_from_the_file_and_reach_the_engine(tmp_path):
    from bot.app import engine_settings

    config = load_config(write(tmp_path, '[targets]\nk1 = "80%@2025, 100%@2028"\nk4 = ""\n'))
    targets = engine_settings(config).targets
    assert [(t.year, t.value) for t in targets.k1] == [(2025, 0.8), (2028, 1.0)]
    assert targets.k4 == ()
    assert [(t.year, t.value) for t in targets.k3] == [(2025, 0.85), (2030, 1.0)]


def test_a_target_that_cannot_be_read_names_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"\[targets\] k3 must be a list of targets"):
        load_config(write(tmp_path, '[targets]\nk3 = "most of them"\n'))


def test_the_example_configuration_is_valid_and_documents_every_key():
    from pathlib import Path

    from bot.config import SCHEMA

    example = Path(__file__).parent.parent / "config.example.toml"
    load_config(example)
    text = example.read_text(encoding="utf-8")
    for section, keys in SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"\n{key} =" in text, f"[{section}] {key} is not documented"


def test_the_web_console_is_off_by_default_and_its_address_follows_host_and_port(tmp_path):
    config = load_config()
    assert config.get("web", "enabled") is False
    assert config.get("web", "tile_url") == ""
    assert config.web_base_url == "http://127.0.0.1:8090"
    path = write(
        tmp_path,
        '[web]\nenabled = true\nbase_url = "https://console.example.gov.vn/"\n'
        'tile_url = "https://tiles.example.gov.vn/{z}/{x}/{y}.png"\n',
    )
    config = load_config(path)
    assert config.get("web", "enabled") is True
    assert config.web_base_url == "https://console.example.gov.vn"
    assert config.get("web", "tile_url").endswith("/{z}/{x}/{y}.png")


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('base_url = "console.example.gov.vn"', "[web] base_url"),
        ('tile_url = "https://tiles.example.gov.vn/tile.png"', "[web] tile_url"),
        ('tile_url = "file:///{z}/{x}/{y}.png"', "[web] tile_url"),
        ("port = 0", "[web] port"),
        ('enabled = "yes"', "[web] enabled"),
    ],
)
def test_a_bad_web_setting_stops_with_its_name(tmp_path, line, named):
    path = write(tmp_path, f"[web]\n{line}\n")
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_config(path)


def test_the_privacy_settings_have_defaults_and_a_pseudonym_needs_its_number(tmp_path):
    config = load_config()
    assert config.get("privacy", "retention_years") == 5
    assert config.get("privacy", "draft_days") == 30
    assert config.get("privacy", "pseudonym") == "Cán bộ #{number}"
    path = write(tmp_path, '[privacy]\nretention_years = 2\npseudonym = "Officer {number}"\n')
    config = load_config(path)
    assert config.get("privacy", "retention_years") == 2
    assert config.get("privacy", "pseudonym") == "Officer {number}"
    for line, named in (
        ('pseudonym = "Cán bộ"', "[privacy] pseudonym"),
        ("retention_years = 0", "[privacy] retention_years"),
        ('notice_version = ""', "[privacy] notice_version"),
    ):
        with pytest.raises(ConfigError) as caught:
            load_config(write(tmp_path, f"[privacy]\n{line}\n"))
        assert named in str(caught.value)


def test_the_overdue_limit_comes_from_the_file_and_reaches_the_reminders(tmp_path):
    from bot.scheduler import reminder_settings

    assert reminder_settings(load_config()).overdue_limit_days == 31
    config = load_config(write(tmp_path, "[reminders]\noverdue_limit_days = 10\n"))
    assert reminder_settings(config).overdue_limit_days == 10


@pytest.mark.parametrize("value", ["0", "-3", "true", '"ten"'])
def test_an_overdue_limit_that_is_not_a_positive_whole_number_names_the_key(tmp_path, value):
    with pytest.raises(ConfigError, match=r"\[reminders\] overdue_limit_days must be") as raised:
        load_config(write(tmp_path, f"[reminders]\noverdue_limit_days = {value}\n"))
    assert "\n" not in str(raised.value)


def test_the_webhook_body_limit_and_the_health_settings(tmp_path):
    config = load_config()
    assert config.get("webhook", "max_body") == 1_000_000
    assert (config.get("health", "port"), config.get("health", "stale_after")) == (0, 300)
    config = load_config(
        write(tmp_path, "[webhook]\nmax_body = 4096\n[health]\nport = 9100\nstale_after = 60\n")
    )
    assert config.get("webhook", "max_body") == 4096
    assert (config.get("health", "port"), config.get("health", "stale_after")) == (9100, 60)
    for text, key in (
        ("[webhook]\nmax_body = 0\n", "[webhook] max_body"),
        ("[health]\nport = 70000\n", "[health] port"),
        ("[health]\nstale_after = -5\n", "[health] stale_after"),
    ):
        with pytest.raises(ConfigError, match=re.escape(key)):
            load_config(write(tmp_path, text))


def test_the_photo_limit_and_the_slow_client_timeout(tmp_path):
    from bot.app import engine_settings

    config = load_config()
    assert config.get("bot", "max_photo_mb") == 10
    assert config.get("webhook", "read_timeout") == 10
    assert engine_settings(config).max_photo_bytes == 10 * 1024 * 1024
    config = load_config(write(tmp_path, "[bot]\nmax_photo_mb = 3\n[webhook]\nread_timeout = 4\n"))
    assert engine_settings(config).max_photo_bytes == 3 * 1024 * 1024
    assert config.get("webhook", "read_timeout") == 4
    for text, key in (
        ("[bot]\nmax_photo_mb = 0\n", "[bot] max_photo_mb"),
        ('[bot]\nmax_photo_mb = "10 MB"\n', "[bot] max_photo_mb"),
        ("[webhook]\nread_timeout = -1\n", "[webhook] read_timeout"),
    ):
        with pytest.raises(ConfigError, match=re.escape(key)) as raised:
            load_config(write(tmp_path, text))
        assert "\n" not in str(raised.value)
