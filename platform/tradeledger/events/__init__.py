"""The event feed for back offices: every platform event the caller may see, in chain order, by cursor."""
