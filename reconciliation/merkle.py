"""RFC 6962 / RFC 9162 Merkle trees (SHA-256): roots, inclusion proofs and consistency proofs.

The construction is Certificate Transparency's, so any conformant verifier (an on-chain one included)
checks our proofs:

- leaf hash `MTH({d}) = SHA-256(0x00 || d)`; interior node `SHA-256(0x01 || left || right)`; the
  different prefixes stop a leaf from being passed off as a node (second-preimage attacks);
- for `n > 1` leaves, the left subtree holds the largest power of two `k < n` leaves and the right one the
  remaining `n - k`; the empty tree's hash is `SHA-256()`.

`StreamingRoot` computes a root over any number of leaves with O(log n) memory (one pending hash per
set bit of the count). `MerkleTree` keeps the leaf hashes (32 bytes each) plus the complete subtrees so
that any inclusion or consistency proof for any earlier tree size costs O(log n) hashes.
Verification follows the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 literally.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256


class MerkleError(ValueError):
    """A proof was requested for an index or size the tree does not have."""


def leaf_hash(leaf: bytes) -> bytes:
    """`SHA-256(0x00 || leaf)`."""
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """`SHA-256(0x01 || left || right)`."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than `n` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Subtree(NamedTuple):
    """A complete subtree: the `2**level` leaves from `position * 2**level` on, and its hash (a leaf's at
    level 0)."""

    level: int
    position: int
    hash: bytes


class StreamingRoot:
    """Incremental RFC 6962 root with O(log n) memory.

    The pending stack holds the roots of the complete subtrees of the leaves seen so far, largest
    first, one per set bit of the count. Folding them right to left gives the RFC root, because the RFC
    splits every tree at the largest power of two below its size.
    """

    __slots__ = ("_closed", "_count", "_stack")

    def __init__(self, *, keep_subtrees: bool = False) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self._count = 0
        self._closed: list[Subtree] | None = [] if keep_subtrees else None

    def add_leaf(self, leaf: bytes) -> None:
        """Append a leaf (its data, not its hash)."""
        self.add_leaf_hash(_sha256(LEAF_PREFIX + leaf).digest())

    def add_leaf_hash(self, digest: bytes) -> None:
        """Append a leaf by its leaf hash."""
        size, node = 1, digest
        stack = self._stack
        closed, index = self._closed, self._count
        if closed is not None:
            closed.append(Subtree(0, index, node))
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            node = node_hash(left, node)
            size += left_size
            if closed is not None:
                level = size.bit_length() - 1
                closed.append(Subtree(level, index >> level, node))
        stack.append((size, node))
        self._count += 1

    def take_subtrees(self) -> list[Subtree]:
        """The complete subtrees closed since the last call (leaves included), in the order they closed; empty
        unless made with `keep_subtrees`.

        Why: stored, they let `StoredTree` answer proofs for any size up to this one with O(log n) of them,
        where a `MerkleTree` needs every leaf in memory.
        """
        if self._closed is None:
            return []
        closed, self._closed = self._closed, []
        return closed

    @property
    def size(self) -> int:
        """Number of leaves added."""
        return self._count

    def frontier(self) -> list[bytes]:
        """The pending subtree roots, largest first: with `size`, the whole state of the accumulator.

        Why: an account's history tree grows by one statement a day. Storing `(size, frontier())`
        (at most 64 hashes) lets tomorrow's run continue the history root without re-reading the past.
        """
        return [digest for _, digest in self._stack]

    @classmethod
    def resume(cls, size: int, frontier: Sequence[bytes], *, keep_subtrees: bool = False) -> StreamingRoot:
        """An accumulator continuing from `(size, frontier)` as returned by `size` and `frontier()`.

        Raises:
            MerkleError: the frontier does not have one hash per set bit of `size`.
        """
        if size < 0 or len(frontier) != size.bit_count() or any(len(d) != 32 for d in frontier):
            raise MerkleError(f"a frontier of size {size} needs {max(size, 0).bit_count()} 32-byte hashes")
        acc = cls(keep_subtrees=keep_subtrees)
        bits = [1 << i for i in range(size.bit_length() - 1, -1, -1) if size >> i & 1]
        acc._stack = list(zip(bits, frontier, strict=True))
        acc._count = size
        return acc

    def root(self) -> bytes:
        """The Merkle tree hash of the leaves added so far."""
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """Root over leaf data, streaming (O(log n) memory)."""
    acc = StreamingRoot()
    for leaf in leaves:
        acc.add_leaf(leaf)
    return acc.root()


class _Proofs:
    """RFC 6962 roots and proofs for any size up to `size`, from the tree's complete subtrees (`_node`)."""

    __slots__ = ()

    @property
    def size(self) -> int:
        raise NotImplementedError

    def _node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree `index` at `level` (see `Subtree`)."""
        raise NotImplementedError

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH of leaves `[start, end)`, where `start` is a multiple of the power of two above the range.

        Every range the RFC recursion visits has that shape, so the left part is always a complete
        subtree and this costs O(log n).
        """
        n = end - start
        if n & (n - 1) == 0:
            level = n.bit_length() - 1
            return self._node(level, start >> level)
        k = _split(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The root of the first `size` leaves (all by default)."""
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise MerkleError(f"tree size {size} is outside 0..{self.size}")

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf `index` in the tree of the first `size` leaves (RFC 6962 §2.1.1).

        Ordered from the leaf's sibling up to the root's child.
        """
        size = self.size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise MerkleError(f"leaf index {index} is outside 0..{size - 1}")
        return self._path(index, 0, size)

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if index < k:
            return [*self._path(index, start, start + k), self._subtree(start + k, end)]
        return [*self._path(index - k, start + k, end), self._subtree(start, start + k)]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Proof that the first `old_size` leaves are a prefix of the first `new_size` (RFC 6962 §2.1.2)."""
        new_size = self.size if new_size is None else new_size
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise MerkleError(f"old size {old_size} is outside 0..{new_size}")
        if old_size in (0, new_size):
            return []
        return self._subproof(old_size, 0, new_size, True)

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self._subtree(start, end)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, complete), self._subtree(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._subtree(start, start + k)]


class MerkleTree(_Proofs):
    """A tree over leaf hashes that answers proofs for any size up to its own.

    Memory: about 64 bytes per leaf (the leaves plus the complete subtrees above them).
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for digest in leaf_hashes:
            self.append_hash(digest)

    @classmethod
    def from_leaves(cls, leaves: Iterable[bytes]) -> MerkleTree:
        """A tree over leaf data (hashed with `leaf_hash`)."""
        return cls(leaf_hash(leaf) for leaf in leaves)

    def append_hash(self, digest: bytes) -> None:
        """Append a leaf hash, completing the subtrees it closes."""
        levels = self._levels
        levels[0].append(digest)
        level = 0
        while len(levels[level]) % 2 == 0:
            parent = node_hash(levels[level][-2], levels[level][-1])
            if level + 1 == len(levels):
                levels.append([])
            levels[level + 1].append(parent)
            level += 1

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash at `index`."""
        return self._levels[0][index]

    def _node(self, level: int, index: int) -> bytes:
        return self._levels[level][index]


class StoredTree(_Proofs):
    """The proofs of a tree of `size` leaves from some of its complete subtrees (`Subtree`, as
    `StreamingRoot.take_subtrees` gives them): those `subtrees_for_consistency` names suffice for a consistency
    proof and both roots, O(log n) of them, so a tree kept in a database answers without reading every leaf.
    """

    __slots__ = ("_nodes", "_size")

    def __init__(self, size: int, nodes: Mapping[tuple[int, int], bytes]) -> None:
        self._size = size
        self._nodes = nodes

    @property
    def size(self) -> int:
        return self._size

    def _node(self, level: int, index: int) -> bytes:
        try:
            return self._nodes[level, index]
        except KeyError:
            raise MerkleError(f"the complete subtree {index} of level {level} is not given") from None


class _Needed(_Proofs):
    """Records which complete subtrees a computation reads, answering each with a placeholder."""

    __slots__ = ("_size", "needed")

    def __init__(self, size: int) -> None:
        self._size = size
        self.needed: set[tuple[int, int]] = set()

    @property
    def size(self) -> int:
        return self._size

    def _node(self, level: int, index: int) -> bytes:
        self.needed.add((level, index))
        return EMPTY_ROOT


def subtrees_for_consistency(old_size: int, new_size: int) -> set[tuple[int, int]]:
    """The (level, index) of the complete subtrees from which `StoredTree` gives both roots and the consistency
    proof between the sizes: O(log new_size) of them."""
    needed = _Needed(new_size)
    needed.root(old_size)
    needed.root(new_size)
    needed.consistency_proof(old_size, new_size)
    return needed.needed


def verify_inclusion(leaf_digest: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: whether `proof` shows the leaf hash at `index` is in the tree `root` of `size`."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    node = leaf_digest
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: whether `proof` shows the tree of `old_size` is a prefix of the one of `new_size`.

    Trivial cases: equal sizes need an empty proof and equal roots; an empty old tree is a prefix of
    anything (its root must be the empty hash).
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
