"""The chaos drill of issue #15: real processes killed with real signals during bursts of writes, then checked."""
