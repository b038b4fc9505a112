"""Replies for channels without buttons (the terminal, Zalo): choices as a numbered list.

The engine maps a typed digit to the n-th offered choice itself, except when the
reply expects a number (then the digits are the answer and the choices are only
examples, shown as "[0]  [25] ...").
"""

from __future__ import annotations

from handlers.catalog import t
from handlers.messages import Reply


def render_numbered(reply: Reply, language: str, indent: str = "", start: int = 1) -> str:
    """The reply's text, then its choices and a hint on how to answer.

    The engine numbers the choices of all replies of one turn in a row; a channel
    that sends several replies with choices passes ``start`` to keep in step."""
    lines = [reply.text] if reply.text else []
    if reply.choices and reply.expects_number:
        lines.append(indent + "  ".join(f"[{choice.label}]" for choice in reply.choices))
        lines.append(t(language, "terminal_type_number"))
    elif reply.choices:
        lines += [
            f"{indent}{number}. {choice.label}"
            for number, choice in enumerate(reply.choices, start)
        ]
        lines.append(t(language, "terminal_choose"))
    return "\n".join(lines)
