"""Orders: read model and service logic of the domain."""
