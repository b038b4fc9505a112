"""`fieldbot run` as a real process (the console script), to kill it and start it again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

FIELDBOT = Path(sys.executable).with_name("fieldbot")


def write_config(path: Path, database_url: str, media_dir: Path, **sections: dict) -> Path:
    """A config.toml for the process: reminders off unless asked, plus any sections."""
    values: dict[str, dict] = {
        "database": {"url": database_url},
        "bot": {"media_dir": str(media_dir)},
        "reminders": {"enabled": False},
    }
    for name, section in sections.items():
        values.setdefault(name, {}).update(section)
    lines = []
    for name, section in values.items():
        lines.append(f"[{name}]")
        for key, value in section.items():
            shown = str(value).lower() if isinstance(value, bool) else value
            lines.append(f"{key} = {shown!r}" if isinstance(value, str) else f"{key} = {shown}")
    path.write_text("\n".join(lines).replace("'", '"') + "\n", encoding="utf-8")
    return path


def run_fieldbot(config: Path, *args: str) -> subprocess.CompletedProcess:
    """One `fieldbot --config FILE ARGS...` to its end, without the caller's FIELDBOT_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}
    return subprocess.run(
        [str(FIELDBOT), "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


class BotProcess:
    """One `fieldbot --config FILE run`; its output goes to a log file beside the config."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.log = config.with_suffix(".log")
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        log = self.log.open("ab")
        log.write(f"--- start {self.starts}\n".encode())
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}
        self.process = await asyncio.create_subprocess_exec(
            str(FIELDBOT), "--config", str(self.config), "run", stdout=log, stderr=log, env=env
        )
        log.close()

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine loses power."""
        if self.process and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def terminate(self, timeout: float = 60.0) -> int:
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), timeout)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")
