"""tradeledger: the consortium trade-finance service (chain driver, indexer, read model, API, CLI)."""

__version__ = "0.1.0"
