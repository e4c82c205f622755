"""The read model and the service's own records: SQLAlchemy 2.0 models, sessions and Alembic migrations."""
