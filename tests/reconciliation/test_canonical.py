"""Canonical leaf encoding: exact layout, direction neutrality, bilateral roots, refusal of bad input."""

from __future__ import annotations

import struct
from dataclasses import replace

import pytest

from reconciliation.canonical import (
    MAGIC,
    EncodingError,
    RootingLines,
    debit_credit,
    encode_entry,
    entries_root,
    entry_leaf_hash,
    mirror,
    with_counterparty,
)
from reconciliation.entries import ChainEvidence, Direction
from reconciliation.merkle import MerkleTree, StreamingRoot, leaf_hash, verify_inclusion
from tests.reconciliation.data import BANK_A, BANK_B, TRADER, entry, fixed_entries, fixed_statement


class TestLayout:
    def test_fields_are_at_their_documented_offsets(self) -> None:
        e = entry(7, block=300, log=4, amount=123_456, direction=Direction.CREDIT, kind="FEE", reference="R-1")
        data = encode_entry(e)
        assert data[0:4] == MAGIC
        assert int.from_bytes(data[4:36], "big") == 7
        assert data[36:56] == bytes.fromhex(BANK_B[2:])  # debit: the counterparty pays
        assert data[56:76] == bytes.fromhex(BANK_A[2:])  # credit: the statement account receives
        assert data[76:79] == b"USD"
        assert int.from_bytes(data[79:111], "big") == 123_456
        assert int.from_bytes(data[111:143], "big") == 31337
        assert struct.unpack(">Q", data[143:151])[0] == 300
        assert data[151:183] == bytes.fromhex(e.evidence.tx_hash[2:])
        assert struct.unpack(">I", data[183:187])[0] == 4
        assert data[187:189] == b"\x00\x03"
        assert data[189:192] == b"FEE"
        assert data[192:194] == b"\x00\x03"
        assert data[194:] == b"R-1"
        assert entry_leaf_hash(e) == leaf_hash(data)

    def test_utf8_text_is_length_prefixed_in_bytes(self) -> None:
        data = encode_entry(entry(1, block=1, kind="K", reference="融资"))
        assert data[-8:] == b"\x00\x06" + "融资".encode()

    def test_address_case_does_not_matter(self) -> None:
        e = entry(1, block=1, counterparty=TRADER)
        assert encode_entry(e) == encode_entry(replace(e, counterparty=TRADER.lower()))

    @pytest.mark.parametrize(
        "bad",
        [
            {"counterparty": "0x1234"},
            {"account": "not-an-address"},
            {"currency": "USDT"},
            {"amount": 0},
            {"entry_id": 1 << 256},
            {"evidence": ChainEvidence(1, 1, "0x" + "00" * 32, "0xabc", 0)},
            {"evidence": ChainEvidence(1, 1 << 64, "0x" + "00" * 32, "0x" + "11" * 32, 0)},
            {"evidence": ChainEvidence(1, 1, "0x" + "00" * 32, "0x" + "11" * 32, 1 << 32)},
        ],
        ids=["short-address", "non-address", "long-currency", "zero-amount", "id-overflow", "short-hash",
             "block-overflow", "log-overflow"],
    )  # fmt: skip
    def test_malformed_entries_are_refused(self, bad: dict[str, object]) -> None:
        with pytest.raises(EncodingError):
            encode_entry(replace(entry(1, block=1), **bad))  # type: ignore[arg-type]


class TestDirectionNeutrality:
    def test_an_entry_and_its_mirror_encode_identically(self) -> None:
        for e in fixed_entries():
            m = mirror(e)
            assert m.account == e.counterparty and m.direction is not e.direction
            assert debit_credit(m) == debit_credit(e)
            assert encode_entry(m) == encode_entry(e)

    def test_bilateral_statements_of_both_banks_have_the_same_root(self) -> None:
        a_side = list(with_counterparty(fixed_entries(), BANK_B))
        # bank B's own ledger: every posting seen from each account; B keeps its account's, towards A
        ledger = [*fixed_entries(), *(mirror(e) for e in fixed_entries())]
        b_side = list(with_counterparty((e for e in ledger if e.account == BANK_B), BANK_A))
        assert a_side and len(b_side) == len(a_side)
        assert all(e.account == BANK_B for e in b_side)
        assert entries_root(a_side) == entries_root(b_side)

    def test_a_differing_entry_changes_the_root(self) -> None:
        a_side = list(with_counterparty(fixed_entries(), BANK_B))
        b_side = [mirror(e) for e in a_side]
        b_side[1] = replace(b_side[1], amount=b_side[1].amount + 1)
        assert entries_root(a_side) != entries_root(b_side)


class TestRootingLines:
    def test_root_built_while_writing_equals_root_of_the_entries(self) -> None:
        statement = fixed_statement()
        rooting = RootingLines(statement.lines())
        assert [line.line_no for line in rooting] == [1, 2, 3, 4, 5]
        assert (rooting.root, rooting.size) == entries_root(fixed_entries())

    def test_inclusion_proof_of_a_statement_line(self) -> None:
        entries = fixed_entries()
        tree = MerkleTree(entry_leaf_hash(e) for e in entries)
        root, size = entries_root(entries)
        for index, e in enumerate(entries):
            assert verify_inclusion(entry_leaf_hash(e), index, size, tree.inclusion_proof(index), root)
        tampered = replace(entries[2], amount=entries[2].amount + 1)
        assert not verify_inclusion(entry_leaf_hash(tampered), 2, size, tree.inclusion_proof(2), root)

    def test_history_is_extended_in_the_same_pass(self) -> None:
        earlier = [entry(100 + i, block=1_000 + i) for i in range(3)]
        history = StreamingRoot()
        for e in earlier:
            history.add_leaf(encode_entry(e))
        resumed = StreamingRoot.resume(history.size, history.frontier())
        rooting = RootingLines(fixed_statement().lines(), resumed)
        for _ in rooting:
            pass
        assert resumed.root() == entries_root([*earlier, *fixed_entries()])[0]
        assert rooting.root == entries_root(fixed_entries())[0]
