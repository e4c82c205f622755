"""Member API keys issued before users existed keep working: the migration makes each one an administrator
service account's key and keeps only an argon2id hash of it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tradeledger.identity.service import authenticate
from tradeledger.store.db import MIGRATIONS
from tradeledger.users.models import User, UserKind

BEFORE_USERS = "5d205705c223"
TOKEN = "tl_" + "k" * 43
MEMBER = "0x" + "ab" * 20


def _upgrade(connection: object, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def test_an_old_member_key_becomes_an_administrator_service_account(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        _upgrade(connection, BEFORE_USERS)
        connection.execute(
            text("INSERT INTO api_keys (id, member, label, prefix, token_hash, created_at) "
                 "VALUES ('k1', :member, 'bank', :prefix, :hash, '2026-01-01 00:00:00')"),
            {"member": MEMBER, "prefix": TOKEN[:10], "hash": hashlib.sha256(TOKEN.encode()).hexdigest()},
        )  # fmt: skip
    with engine.begin() as connection:
        _upgrade(connection, "head")
        stored = connection.execute(text("SELECT secret_hash FROM api_keys")).scalar_one()
    assert stored.startswith("$argon2id$") and hashlib.sha256(TOKEN.encode()).hexdigest() not in stored
    with Session(engine) as db:
        key = authenticate(db, TOKEN)
        user = db.get(User, key.user_id)
        assert user is not None
        assert (key.id, user.member, user.kind, user.roles) == ("k1", MEMBER, UserKind.SERVICE, ["administrator"])
    engine.dispose()
