"""Logging set-up that never lets a bot token reach a log line."""

from __future__ import annotations

import logging
import re

# Telegram tokens look like 123456:ABC...; Zalo's like <bot_id>:<secret>.
_TOKEN_SHAPE = re.compile(r"(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{20,}")


def hide_tokens(text: str) -> str:
    """Replaces anything shaped like a bot token."""
    return _TOKEN_SHAPE.sub("<token>", text)


class RedactSecrets(logging.Filter):
    """Replaces configured secrets and anything shaped like a bot token."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return hide_tokens(text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so the handler never sees the raw one.
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def setup_logging(secrets: list[str], level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
