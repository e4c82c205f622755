"""Books-vs-ledger reconciliation runs: import a member's books, match them to its ledger, track the breaks."""
