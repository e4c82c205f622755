"""Pure reconciliation library: ledger entries and books in; statements, breaks, proofs and manifests out.

It imports nothing of `tradeledger`, web3 or FastAPI (a test enforces it), so banks and auditors can run it
on their own data.
"""
