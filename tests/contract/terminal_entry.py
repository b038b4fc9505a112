"""`fieldbot` as the console script runs it, with one engine method made to fail when
$CONTRACT_FAILING_TURN_METHOD names it (the contract suite's apology story)."""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    method = os.environ.get("CONTRACT_FAILING_TURN_METHOD")
    if method:
        from handlers.engine import Turn

        async def broken(self, *args, **kwargs):
            raise RuntimeError("contract suite: injected failure")

        setattr(Turn, method, broken)
    from bot.cli import main

    sys.exit(main())
