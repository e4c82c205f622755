"""RFC 6962 Merkle tree: reference vectors, proofs, tampering, streaming at scale, properties."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.merkle import (
    EMPTY_ROOT,
    MerkleError,
    MerkleTree,
    StoredTree,
    StreamingRoot,
    leaf_hash,
    merkle_root,
    node_hash,
    subtrees_for_consistency,
    verify_consistency,
    verify_inclusion,
)

# Certificate Transparency's reference test data (certificate-transparency merkle_tree_test), which
# independent RFC 6962 implementations agree on; `naive_root` below recomputes them from the RFC text.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def naive_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 §2.1, recursively (the independent reference)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_root(leaves[:k]) + naive_root(leaves[k:])).digest()


def tree() -> MerkleTree:
    return MerkleTree.from_leaves(CT_LEAVES)


class TestReferenceVectors:
    @pytest.mark.parametrize("size", range(9))
    def test_roots_match_ct_vectors(self, size: int) -> None:
        assert tree().root(size).hex() == CT_ROOTS[size]
        assert merkle_root(CT_LEAVES[:size]).hex() == CT_ROOTS[size]
        assert naive_root(CT_LEAVES[:size]).hex() == CT_ROOTS[size]

    @pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
    def test_inclusion_proofs_match_ct_vectors(self, index: int, size: int, path: list[str]) -> None:
        t = tree()
        assert [p.hex() for p in t.inclusion_proof(index, size)] == path
        assert verify_inclusion(t.leaf_hash(index), index, size, [bytes.fromhex(p) for p in path], t.root(size))

    @pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
    def test_consistency_proofs_match_ct_vectors(self, old: int, new: int, path: list[str]) -> None:
        t = tree()
        assert [p.hex() for p in t.consistency_proof(old, new)] == path
        assert verify_consistency(old, new, t.root(old), t.root(new), [bytes.fromhex(p) for p in path])

    def test_domain_separation_prefixes(self) -> None:
        assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
        assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
        assert EMPTY_ROOT.hex() == CT_ROOTS[0]


class TestProofsRejectTampering:
    def test_every_leaf_of_every_size_up_to_40_verifies(self) -> None:
        leaves = [bytes([i, i * 7 % 256]) for i in range(40)]
        t = MerkleTree.from_leaves(leaves)
        for size in range(1, 41):
            root = t.root(size)
            assert root == naive_root(leaves[:size])
            for index in range(size):
                assert verify_inclusion(t.leaf_hash(index), index, size, t.inclusion_proof(index, size), root)
            for old in range(size + 1):
                proof = t.consistency_proof(old, size)
                assert verify_consistency(old, size, t.root(old), root, proof)

    def test_tampered_inclusion_inputs_fail(self) -> None:
        t = MerkleTree.from_leaves(CT_LEAVES)
        proof = t.inclusion_proof(5, 8)
        root = t.root(8)
        good = t.leaf_hash(5)
        assert verify_inclusion(good, 5, 8, proof, root)
        assert not verify_inclusion(leaf_hash(b"tampered"), 5, 8, proof, root)
        assert not verify_inclusion(good, 4, 8, proof, root)
        assert not verify_inclusion(good, 5, 6, proof, root)
        assert not verify_inclusion(good, 5, 8, proof[:-1], root)
        assert not verify_inclusion(good, 5, 8, [*proof, proof[0]], root)
        assert not verify_inclusion(good, 8, 8, proof, root)
        flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        assert not verify_inclusion(good, 5, 8, flipped, root)

    def test_tampered_consistency_inputs_fail(self) -> None:
        t = MerkleTree.from_leaves(CT_LEAVES)
        proof = t.consistency_proof(6, 8)
        assert verify_consistency(6, 8, t.root(6), t.root(8), proof)
        assert not verify_consistency(6, 8, t.root(5), t.root(8), proof)
        assert not verify_consistency(6, 8, t.root(6), t.root(7), proof)
        assert not verify_consistency(5, 8, t.root(6), t.root(8), proof)
        assert not verify_consistency(6, 8, t.root(6), t.root(8), proof[:-1])
        assert not verify_consistency(6, 8, t.root(6), t.root(8), [])
        assert not verify_consistency(8, 6, t.root(8), t.root(6), proof)
        # a history rewrite: same size, other leaves
        other = MerkleTree.from_leaves([*CT_LEAVES[:5], b"forged", *CT_LEAVES[6:]])
        assert not verify_consistency(6, 8, t.root(6), other.root(8), other.consistency_proof(6, 8))

    @pytest.mark.parametrize(("index", "size"), [(-1, 3), (3, 3), (0, 0), (0, 9)])
    def test_out_of_range_requests_raise(self, index: int, size: int) -> None:
        with pytest.raises(MerkleError):
            tree().inclusion_proof(index, size)

    def test_consistency_out_of_range_raises(self) -> None:
        with pytest.raises(MerkleError):
            tree().consistency_proof(5, 4)
        with pytest.raises(MerkleError):
            tree().consistency_proof(1, 9)


class TestStreaming:
    def test_million_leaf_root_uses_log_memory(self) -> None:
        acc = StreamingRoot()
        high_water = 0
        for i in range(1_000_000):
            acc.add_leaf_hash(i.to_bytes(32, "big"))
            high_water = max(high_water, len(acc._stack))
        assert high_water <= 20  # one pending subtree per set bit of the count: O(log n)
        assert acc.size == 1_000_000
        # RFC split: 2^19 leaves on the left, the rest on the right
        left, right = StreamingRoot(), StreamingRoot()
        for i in range(1_000_000):
            (left if i < 1 << 19 else right).add_leaf_hash(i.to_bytes(32, "big"))
        assert acc.root() == node_hash(left.root(), right.root())

    def test_streaming_root_equals_proof_tree_on_a_ragged_size(self) -> None:
        size = (1 << 17) + 3
        digests = [i.to_bytes(32, "big") for i in range(size)]
        acc = StreamingRoot()
        for digest in digests:
            acc.add_leaf_hash(digest)
        big = MerkleTree(digests)
        assert acc.root() == big.root()
        proof = big.inclusion_proof(77_777)
        assert len(proof) == 18
        assert verify_inclusion(digests[77_777], 77_777, size, proof, acc.root())
        assert verify_consistency(size - 1, size, big.root(size - 1), acc.root(), big.consistency_proof(size - 1))


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
    def test_inclusion_and_consistency_proofs_verify(self, leaves: list[bytes], data: st.DataObject) -> None:
        t = MerkleTree.from_leaves(leaves)
        size = data.draw(st.integers(1, len(leaves)))
        index = data.draw(st.integers(0, size - 1))
        old = data.draw(st.integers(0, size))
        root = t.root(size)
        assert root == naive_root(leaves[:size]) == merkle_root(leaves[:size])
        assert verify_inclusion(leaf_hash(leaves[index]), index, size, t.inclusion_proof(index, size), root)
        assert verify_consistency(old, size, t.root(old), root, t.consistency_proof(old, size))

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.binary(max_size=4), min_size=2, max_size=40, unique=True), st.data())
    def test_a_proof_for_one_leaf_does_not_prove_another(self, leaves: list[bytes], data: st.DataObject) -> None:
        t = MerkleTree.from_leaves(leaves)
        index = data.draw(st.integers(0, len(leaves) - 1))
        other = data.draw(st.integers(0, len(leaves) - 1).filter(lambda i: i != index))
        proof = t.inclusion_proof(index)
        assert not verify_inclusion(t.leaf_hash(other), index, len(leaves), proof, t.root())


class TestFrontier:
    @pytest.mark.parametrize("split", [0, 1, 2, 3, 7, 8, 13, 40])
    def test_resuming_from_a_frontier_continues_the_same_root(self, split: int) -> None:
        leaves = [bytes([i]) for i in range(41)]
        first = StreamingRoot()
        for leaf in leaves[:split]:
            first.add_leaf(leaf)
        resumed = StreamingRoot.resume(first.size, first.frontier())
        assert len(first.frontier()) == split.bit_count()
        for leaf in leaves[split:]:
            resumed.add_leaf(leaf)
        assert resumed.root() == merkle_root(leaves)

    @pytest.mark.parametrize(("size", "count"), [(3, 1), (4, 2), (-1, 0), (2, 0)])
    def test_malformed_frontier_is_refused(self, size: int, count: int) -> None:
        with pytest.raises(MerkleError):
            StreamingRoot.resume(size, [b"\0" * 32] * count)


class TestStoredSubtrees:
    """Subtrees kept while streaming, across resumptions, answer proofs as the whole tree does, from O(log n)."""

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.binary(max_size=8), min_size=1, max_size=300), st.data())
    def test_consistency_proofs_from_the_needed_subtrees_equal_the_full_trees(
        self, leaves: list[bytes], data: st.DataObject
    ) -> None:
        cuts = sorted(data.draw(st.lists(st.integers(0, len(leaves)), max_size=4)))
        kept: dict[tuple[int, int], bytes] = {}
        stream, done = StreamingRoot(keep_subtrees=True), 0
        for cut in [*cuts, len(leaves)]:  # saved and resumed at every cut, as statements do
            for leaf in leaves[done:cut]:
                stream.add_leaf(leaf)
            kept.update(((level, index), digest) for level, index, digest in stream.take_subtrees())
            stream = StreamingRoot.resume(stream.size, stream.frontier(), keep_subtrees=True)
            done = cut
        full = MerkleTree.from_leaves(leaves)
        old = data.draw(st.integers(0, len(leaves)))
        new = data.draw(st.integers(old, len(leaves)))
        needed = subtrees_for_consistency(old, new)
        assert len(needed) <= 4 * new.bit_length()  # O(log n), not every leaf
        stored = StoredTree(new, {place: kept[place] for place in needed})
        assert (stored.root(old), stored.root()) == (full.root(old), full.root(new))
        proof = stored.consistency_proof(old)
        assert proof == full.consistency_proof(old, new)
        assert verify_consistency(old, new, full.root(old), full.root(new), proof)

    def test_every_kept_subtree_is_the_hash_of_its_leaves(self) -> None:
        leaves = [bytes([i]) for i in range(37)]
        stream = StreamingRoot(keep_subtrees=True)
        for leaf in leaves:
            stream.add_leaf(leaf)
        subtrees = stream.take_subtrees()
        assert len(subtrees) == 2 * 37 - (37).bit_count()  # every complete subtree, each once
        for level, index, digest in subtrees:
            assert digest == merkle_root(leaves[index << level : (index + 1) << level])
        assert stream.take_subtrees() == []
        assert StreamingRoot().take_subtrees() == []

    def test_a_missing_subtree_is_an_error_not_a_wrong_proof(self) -> None:
        with pytest.raises(MerkleError, match="not given"):
            StoredTree(5, {}).consistency_proof(3)
