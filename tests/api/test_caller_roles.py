"""The caller's roles as each request reads them with its key (`identity.service.caller`): the user's JSON text
parsed once per distinct text, and a change of roles seen by the next request, on both databases."""

from __future__ import annotations

from sqlalchemy import update

from tradeledger.identity import service
from tradeledger.store.db import make_engine, session_factory
from tradeledger.users.models import User

MEMBER = "0x" + "C0" * 20


def test_a_callers_roles_follow_the_users_row(database_url: str) -> None:
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    try:
        with sessions() as db:
            key, token = service.create_api_key(db, MEMBER, "roles")
            db.commit()
            user_id = key.user_id
        seen = []
        for roles in (None, ["viewer", "checker"], ["viewer", "checker"], [], None, ["administrator"]):
            if roles is not None:
                with sessions() as db:
                    db.execute(update(User).where(User.id == user_id).values(roles=roles))
                    db.commit()
            with sessions() as db:  # the first look-up verifies the token by its prefix, the next ones by key id
                seen.append(service.caller(db, token).roles)
        assert seen == [
            {"administrator"}, {"viewer", "checker"}, {"viewer", "checker"}, set(), set(), {"administrator"}
        ]  # fmt: skip
        assert all(type(roles) is frozenset for roles in seen)
    finally:
        engine.dispose()
