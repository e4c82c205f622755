"""Statements from the ledger: files, signed manifests, Merkle proofs, anchors and chain-only audits."""
