"""Autogenerate the next Alembic revision from the models: `python scripts/new_migration.py "message"`."""

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

from tradeledger.store.db import MIGRATIONS, make_engine, migrate


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'schema.db'}")
        migrate(engine)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    main(sys.argv[1])
