"""The indexer: logs of the platform's contracts into raw events and read-model projections, exactly once."""
