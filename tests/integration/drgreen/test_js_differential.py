"""Differential check of the JavaScript emulation against a real Node.js, when one is installed.

The known-vector tests in test_signing.py are the contract; this adds breadth (thousands of
numbers, awkward strings, key orders) by asking Node what JSON.stringify(JSON.parse(x)) and
URLSearchParams print for the same input.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess

import pytest

from integration.drgreen.jsjson import js_stringify
from integration.drgreen.signing import form_encode

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js not installed")

STRINGS = ["a~b*c é 🌿 +%&=/?#[]", '\x01\x1f"\\\u2028\u2029\x7f', "日本語", "\ud83c\udf3f", "\ud800x"]


def _node(script: str, stdin: str) -> str:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", script], input=stdin.encode(), capture_output=True, timeout=30, check=True
    )
    return done.stdout.decode("utf-8")


def _numbers(seed: int, count: int) -> list[float | int]:
    rng = random.Random(seed)
    values: list[float | int] = [0.1 + 0.2, 5e-324, 1.7976931348623157e308, -0.0, 2**53 + 1, 2**70 + 3]
    for _ in range(count):
        pick = rng.random()
        if pick < 0.3:
            values.append(rng.uniform(-1e25, 1e25) * 10 ** rng.randint(-30, 0))
        elif pick < 0.5:
            values.append(rng.randint(-(2**70), 2**70))
        elif pick < 0.7:
            values.append(rng.randint(-(10**6), 10**6) / rng.choice([1, 10, 100, 1000, 3, 7]))
        else:
            values.append(math.ldexp(rng.random(), rng.randint(-1070, 1023)))
    return values


def test_js_stringify_matches_node():
    obj = {"nums": _numbers(7, 2000), "strs": STRINGS, "10": 1, "b": 2, "2": 3, "4294967295": 4, "0": 5}
    # Node parses an independent serialisation (Python's ASCII-escaped json) and re-stringifies.
    node = _node(
        "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>"
        "process.stdout.write(JSON.stringify(JSON.parse(d))))",
        json.dumps(obj, ensure_ascii=True),
    )
    assert js_stringify(obj) == node


def test_form_encode_matches_url_search_params():
    pairs = [("s", s) for s in STRINGS[:3]] + [("k ~*", "v"), ("e", "")]
    node = _node(
        "let d='';process.stdin.on('data',c=>d+=c).on('end',()=>"
        "process.stdout.write(new URLSearchParams(JSON.parse(d)).toString()))",
        json.dumps(pairs),
    )
    assert form_encode(pairs) == node
