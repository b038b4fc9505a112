"""The terminal harness: `fieldbot demo` as a real subprocess, lines in, text out.

Each input line's output is one "turn" (the text between two "> " prompts); the demo
fills its own SQLite file (fieldbot-demo.db in its working folder) with the sample
sites and the demo inspector and admin.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import re
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from storage.db import Database
from tests.contract.chat import Chat, Shown, number_of

ROOT = Path(__file__).resolve().parents[2]
FIELDBOT = Path(sys.executable).with_name("fieldbot")
PROMPT = re.compile(r"(?m)^> ")


class TerminalChat(Chat):
    name = channel = "terminal"
    has_files = True  # a file is written and its path shown
    text_limit = None

    def __init__(self, folder: Path, role: str) -> None:
        self.folder = folder
        self.role = role
        self.account = "demo-admin" if role == "admin" else "demo-inspector"
        self.db = Database(f"sqlite+aiosqlite:///{folder / 'fieldbot-demo.db'}")
        self.process: asyncio.subprocess.Process | None = None
        self.history: list[str] = []  # the turns of earlier processes
        self._buffer = ""
        self._pos = (0, 0)  # (turn index, offset) of what is read
        self._changed = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._stderr = folder / "demo-stderr.log"

    # --- the process --------------------------------------------------------------------
    async def start(self, failing: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDBOT_")}
        env["PYTHONUNBUFFERED"] = "1"
        args = ["demo"] + (["--as", "admin"] if self.role == "admin" else [])
        if failing:
            env["CONTRACT_FAILING_TURN_METHOD"] = failing
            command = [sys.executable, "-m", "tests.contract.terminal_entry", *args]
            env["PYTHONPATH"] = str(ROOT)
        else:
            command = [str(FIELDBOT), *args]
        self._buffer, self._pos = "", (0, 0)
        with self._stderr.open("ab") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                cwd=self.folder,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        self._reader = asyncio.create_task(self._read())
        # Started and its database prepared once the first prompt shows; what it printed
        # before (the greeting, the menu of its own /start) counts as read.
        await self.expect("fieldbot demo", timeout=60)
        while not self._turns() and not self.exited:
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), 60)
        self._pos = (1, 0)

    async def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")()
        while chunk := await self.process.stdout.read(65536):
            self._buffer += decoder.decode(chunk)
            self._changed.set()
        await self.process.wait()
        self._changed.set()

    async def stop(self) -> None:
        if self.process is None:
            return
        self.history += self._turns(complete=False)
        if self.process.returncode is None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.process.stdin.write(b"/quit\n")
                await self.process.stdin.drain()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self._reader
        self.process = None

    @property
    def exited(self) -> bool:
        return self.process is None or self.process.returncode is not None

    def _turns(self, complete: bool = True) -> list[str]:
        """The output of each turn; the last one only once the next prompt showed."""
        turns = PROMPT.split(self._buffer)
        return turns if not complete or self.exited else turns[:-1]

    def stderr_tail(self) -> str:
        return self._stderr.read_text(errors="replace")[-1500:] if self._stderr.exists() else ""

    # --- the person ---------------------------------------------------------------------
    async def send(self, text: str) -> None:
        assert "\n" not in text, "one line at a time"
        assert not self.exited, f"the demo has exited; its stderr: {self.stderr_tail()}"
        self.process.stdin.write(text.encode() + b"\n")
        await self.process.stdin.drain()

    async def choose(self, label: str, on: Shown | None = None) -> None:
        texts = [on.text] if on else list(reversed(self._turns()))
        await self.send(str(number_of(label, texts)))

    # --- the bot ------------------------------------------------------------------------
    async def expect(self, fragment: str, timeout: float = 30.0) -> Shown:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            turns = self._turns()
            index, offset = self._pos
            for i in range(index, len(turns)):
                found = turns[i].find(fragment, offset if i == index else 0)
                if found >= 0:
                    self._pos = (i, found + len(fragment))
                    return Shown(turns[i])
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self.exited:
                raise AssertionError(
                    f"no {fragment!r} from the demo (exited: {self.exited}); "
                    f"unread: {turns[index:]!r}; stderr: {self.stderr_tail()}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def expect_nothing(self, within: float = 0.7) -> None:
        await asyncio.sleep(within)
        later = [t for t in PROMPT.split(self._buffer)[self._pos[0] + 1 :] if t.strip()]
        assert not later, f"unexpected output from the demo: {later!r}"

    async def expect_file(self, timeout: float = 30.0) -> Shown:
        shown = await self.expect("  [", timeout)
        path = Path(re.findall(r"^  \[(.+)\]$", shown.text, re.M)[-1])
        if not path.is_absolute():
            path = self.folder / path
        return Shown(shown.text, path, "document", {"name": path.name, "path": path})

    def texts(self) -> list[str]:
        return self.history + self._turns()

    @asynccontextmanager
    async def failing(self, turn_method: str):
        """The demo restarted with the method broken (state is in the database)."""
        await self.stop()
        await self.start(failing=turn_method)
        try:
            yield
        finally:
            await self.stop()
            await self.start()


@asynccontextmanager
async def terminal_chat(folder: Path, role: str):
    chat = TerminalChat(folder, role)
    await chat.start()
    try:
        yield chat
    finally:
        await chat.stop()
        await chat.db.dispose()
