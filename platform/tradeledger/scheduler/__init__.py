"""Jobs due at a time of the chain's clock, submitted once through the normal write path (see service)."""
