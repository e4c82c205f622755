"""Art 38i over HTTP: the transferring bank demands the substitution of the first beneficiary's invoice; when the
first beneficiary lets the deadline pass, the bank forwards the second beneficiary's documents as presented, and
the honour pays the second beneficiary the drawing. The deadline must pass on the chain's clock, so the module runs
on a consortium of its own whose chain it may move in time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import OUTSIDER, Consortium, open_consortium, problem
from tests.api.test_lc_transfers import _credit, _invoice, _key, _ok, _request
from tests.api.test_lcs import TODAY


@pytest.fixture(scope="module")
def timed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    yield from open_consortium(tmp_path_factory, "lc-forward")


def _pass(consortium: Consortium, deadline: int) -> None:
    """Mine a block after `deadline` (unix seconds) on this module's own chain."""
    rpc = consortium.platform.transactions.rpc
    rpc.call("evm_setNextBlockTimestamp", [hex(deadline + 1)])
    rpc.call("evm_mine", [])


def test_art_38i_documents_forwarded_as_presented_once_substitution_lapses(timed: Consortium) -> None:
    """The bank cannot forward before the deadline; after it, the documents go to the credit as presented, the
    presentation is the second beneficiary's: its leg takes the whole drawing."""
    bank, first, second = (timed.client(who) for who in ("bank", "other_trader", "outsider"))
    path = _credit(timed, "forward")
    transfer_id = _ok(_request(first, path, "forward", 4_000))["transfers"][0]["transfer_id"]
    _ok(bank.post(f"{path}/transfers/{transfer_id}/decision", json={"consent": True}, headers=_key("forward", "ok")))
    shown = {"documents": [_invoice("SB-F", 4_000)], "amount": 4_000, "shipment_date": TODAY.isoformat()}
    presented = _ok(second.post(f"{path}/transfers/{transfer_id}/presentations", json=shown,
                                headers=_key("forward", "present")))  # fmt: skip
    tp_id = presented["transferred_presentations"][0]["transferred_presentation_id"]
    tp_path = f"{path}/transferred-presentations/{tp_id}"
    demanded = _ok(bank.post(f"{tp_path}/demand-substitution", headers=_key("forward", "demand")))
    deadline = demanded["transferred_presentations"][0]["substitution_deadline"]
    early = bank.post(f"{tp_path}/forward", headers=_key("forward", "early"))
    assert early.status_code == 409 and problem(early)["code"] == "letter_of_credit_substitution_deadline_not_passed"

    _pass(timed, deadline)
    forwarded = _ok(bank.post(f"{tp_path}/forward", headers=_key("forward", "forward")))
    transferred = forwarded["transferred_presentations"][0]
    assert transferred["state"] == "FORWARDED" and transferred["presentation_id"] is not None
    presentation = next(p for p in forwarded["presentations"] if p["presentation_id"] == transferred["presentation_id"])
    assert (presentation["amount"], presentation["state"]) == ("4000", "PRESENTED")

    honoured = _ok(bank.post(f"{path}/presentations/{presentation['presentation_id']}/honour",
                             headers=_key("forward", "honour")))  # fmt: skip
    paid = next(p for p in honoured["presentations"] if p["presentation_id"] == presentation["presentation_id"])
    assert paid["state"] == "HONOURED"
    # Presented by the transferring bank (DocumentsPresented.beneficiary), the drawing is the second beneficiary's.
    assert [(leg["kind"], leg["payee"], leg["amount"]) for leg in paid["proceeds_legs"]] == [
        ("SECOND_BENEFICIARY", OUTSIDER.address, "4000")
    ]
    seen = _ok(second.get(path))
    assert [p["presentation_id"] for p in seen["presentations"]] == [presentation["presentation_id"]]
    assert seen["drawn"] == "4000"
