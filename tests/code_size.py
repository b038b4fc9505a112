"""Modules over 400 lines and functions over 60 lines in bot/, handlers/, storage/
(the project's limits: modules ~100–300 lines, a function fits on a screen).

    python -m tests.code_size [--modules N] [--functions N]

Prints one line per module or function over its limit, longest first; exit 1 if any.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")


def sources() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def long_modules(limit: int) -> list[tuple[int, str]]:
    found = []
    for path in sources():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append((lines, str(path.relative_to(ROOT))))
    return sorted(found, reverse=True)


def long_functions(limit: int) -> list[tuple[int, str]]:
    """Functions and methods by their lines from ``def`` (decorators aside) to the end."""
    found = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    where = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                    found.append((lines, where))
    return sorted(found, reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.code_size", description=__doc__)
    parser.add_argument("--modules", type=int, default=400)
    parser.add_argument("--functions", type=int, default=60)
    args = parser.parse_args(argv)
    modules, functions = long_modules(args.modules), long_functions(args.functions)
    for lines, where in modules:
        print(f"module   {lines:5d}  {where}")
    for lines, where in functions:
        print(f"function {lines:5d}  {where}")
    if not modules and not functions:
        print(f"no module over {args.modules} lines, no function over {args.functions}")
    return 1 if modules or functions else 0


if __name__ == "__main__":
    sys.exit(main())
