"""Text the store never stores or sends: NUL (PostgreSQL refuses it in text and ``jsonb``)
and lone UTF-16 surrogates (they cannot be encoded, so Dr Green would never get them)."""

from __future__ import annotations

import re
from typing import Any

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_is_bad(value: str) -> bool:
    return _BAD_TEXT.search(value) is not None


def json_has_bad_text(value: Any) -> bool:
    """Any key or string inside ``value`` (dicts and lists, walked without recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if text_is_bad(item):
                return True
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and text_is_bad(key):
                    return True
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False
