"""The rules by which the README test picks blocks and compares answers (tests/readme.py)."""

from __future__ import annotations

import pytest

from tests.readme import examples, expected_matches, text_matches

SAMPLE = """# title

```sh
make run
```

```sh
curl -s localhost/v1/health
```

```json
{"status": "ok"}
```

<!-- not run by the README test: needs Docker -->
```sh
curl -s localhost:8001/v1/health
```

## A walk through one trade

```sh
source data/demo.env
```

Some prose between.

```json
{"not": "an answer"}
```

```sh
tradeledger audit verify a b
```

```text
verified: … entries
```
"""


def test_which_blocks_run_and_their_answers() -> None:
    found = examples(SAMPLE)
    assert [block.script for block in found] == [
        "curl -s localhost/v1/health",
        "source data/demo.env",
        "tradeledger audit verify a b",
    ]
    assert found[0].expected == [{"status": "ok"}]
    assert found[1].expected is None and found[1].expected_text is None  # prose in between: not its answer
    assert found[2].expected_text == ["verified: … entries"]


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, True),  # keys left out are fine
        ({"a": 1}, {"b": 1}, False),
        ({"a": "…"}, {"a": [1, 2]}, True),
        ({"a": "0x…"}, {"a": "0xabc"}, True),
        ({"a": "0x…"}, {"a": "1xabc"}, False),
        ([1, "…"], [1, 2, 3], True),  # an open-ended list
        ([1, 2], [1, 2, 3], False),
        ({"n": 1}, {"n": "1"}, False),  # types count
        ({"n": True}, {"n": 1}, False),
    ],
)
def test_expected_matches(expected: object, actual: object, matches: bool) -> None:
    assert (expected_matches(expected, actual) == []) is matches


def test_text_lines_match_in_order() -> None:
    printed = "verified: 3 entries\nFAILED entry 2: amount changed\n"
    assert text_matches(["verified: … entries", "FAILED entry …"], printed) == []
    assert text_matches(["FAILED entry …", "verified: … entries"], printed) != []
