"""The README's shell examples as data: which blocks run, in what order, and the answers they must give.

Rules (also stated in the README's walk): every ```sh block of the section "A walk through one trade" runs, and
every other ```sh block that calls `curl`, in document order, in one bash session; a block right after the
comment `<!-- not run by the README test: REASON -->` is left out. A ```json or ```text block right after a
block that runs is the answer that block must print: `expected_matches` and `text_matches` say how they are
compared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"
WALK_HEADING = "## A walk through one trade"
SKIP = re.compile(r"<!-- not run by the README test: .+ -->\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
ELLIPSIS = "…"


@dataclass
class Example:
    line: int
    script: str
    expected: list[Any] | None = None  # JSON values
    expected_text: list[str] | None = None  # lines


def examples(text: str | None = None) -> list[Example]:
    """The blocks the README test runs, each with its expected JSON answer if the README shows one."""
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Example] = []
    section = ""
    ran_until = -1  # the closing fence of the last block that runs, while no text has come after it
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line.strip()
        fence = FENCE.match(line)
        if not fence or not fence.group(1):
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        body = "\n".join(lines[index + 1 : end])
        follows_a_run = ran_until >= 0 and all(not text.strip() for text in lines[ran_until + 1 : index])
        ran_until = -1
        if fence.group(1) == "sh":
            skipped = SKIP.match(_previous_text_line(lines, index))
            if not skipped and (section == WALK_HEADING or "curl " in body):
                found.append(Example(index + 1, body))
                ran_until = end
        elif fence.group(1) == "json" and follows_a_run:
            found[-1].expected = json_values(body)
        elif fence.group(1) == "text" and follows_a_run:
            found[-1].expected_text = body.splitlines()
        index = end + 1
    return found


def _previous_text_line(lines: list[str], index: int) -> str:
    return next((line for line in reversed(lines[:index]) if line.strip()), "")


def json_values(text: str) -> list[Any]:
    """Every JSON value in `text`, one after the other (jq prints a stream)."""
    decoder = json.JSONDecoder()
    values, position = [], 0
    text = text.strip()
    while position < len(text):
        value, end = decoder.raw_decode(text, position)
        values.append(value)
        position = end
        while position < len(text) and text[position].isspace():
            position += 1
    return values


def expected_matches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where `actual` departs from the README's `expected` answer.

    Objects: every key shown must be there with a matching value (the README may leave keys out). Lists: the
    same length and matching items, unless the last item shown is "…" (then the items shown start the list).
    Strings: "…" stands for any text (alone, any value of any type). Other values: equal.
    """
    if expected == ELLIPSIS:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems.extend(expected_matches(value, actual[key], f"{path}.{key}"))
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {actual!r}"]
        open_ended = bool(expected) and expected[-1] == ELLIPSIS
        shown = expected[:-1] if open_ended else expected
        if len(actual) < len(shown) or (not open_ended and len(actual) != len(shown)):
            return [f"{path}: {len(actual)} items, the README shows {len(expected)}"]
        return [p for i, item in enumerate(shown) for p in expected_matches(item, actual[i], f"{path}[{i}]")]
    if isinstance(expected, str) and ELLIPSIS in expected:
        if isinstance(actual, str) and _pattern(expected).fullmatch(actual):
            return []
        return [f"{path}: {actual!r} does not match {expected!r}"]
    if expected != actual or type(expected) is not type(actual):
        return [f"{path}: {actual!r}, the README shows {expected!r}"]
    return []


def _pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected.split(ELLIPSIS)), re.DOTALL)


def text_matches(expected: list[str], printed: str) -> list[str]:
    """The expected lines that are not printed, in order ("…" stands for any text within a line)."""
    lines = iter(printed.splitlines())
    missing = []
    for wanted in expected:
        pattern = _pattern(wanted)
        if not any(pattern.fullmatch(line) for line in lines):
            missing.append(f"no line like {wanted!r}")
    return missing
