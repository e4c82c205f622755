"""Projections of the OpenZeppelin access-control events every platform contract with admin rules emits:
role grants and revocations, role admins, and the two-step default-admin transfer and delay change.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tradeledger.indexer.fetcher import EventRecord
from tradeledger.indexer.handlers._support import PLATFORM_CONTRACTS, evidence, hex32, stamp
from tradeledger.indexer.projections import projector
from tradeledger.members.models import ContractAdminRules, ContractRoleAdmin, ContractRoleGrant

DEFAULT_ADMIN_ROLE = "0x" + "00" * 32

projector.owns(ContractRoleGrant, ContractRoleAdmin, ContractAdminRules)


def _set_role(db: Session, record: EventRecord, *, granted: bool) -> None:
    args = record.args
    key = (record.address, hex32(args["role"]), args["account"])
    grant = db.get(ContractRoleGrant, key)
    if grant is None:
        grant = ContractRoleGrant(
            contract_address=record.address,
            role=key[1],
            account=args["account"],
            contract=record.contract,
            granted=granted,
            sender=args["sender"],
            **evidence(record),
        )
        db.add(grant)
    else:
        grant.granted, grant.sender = granted, args["sender"]
        stamp(grant, record)
    if granted and key[1] == DEFAULT_ADMIN_ROLE:
        # acceptDefaultAdminTransfer grants the role and clears the pending transfer without another event
        rules = db.get(ContractAdminRules, record.address)
        if rules is not None and rules.pending_admin == args["account"]:
            rules.pending_admin, rules.pending_admin_schedule = None, None
            stamp(rules, record)


def _rules(db: Session, record: EventRecord) -> ContractAdminRules:
    rules = db.get(ContractAdminRules, record.address)
    if rules is None:
        rules = ContractAdminRules(contract_address=record.address, contract=record.contract, **evidence(record))
        db.add(rules)
    else:
        stamp(rules, record)
    return rules


def role_granted(db: Session, record: EventRecord) -> None:
    _set_role(db, record, granted=True)


def role_revoked(db: Session, record: EventRecord) -> None:
    _set_role(db, record, granted=False)


def role_admin_changed(db: Session, record: EventRecord) -> None:
    args = record.args
    role = hex32(args["role"])
    admin = db.get(ContractRoleAdmin, (record.address, role))
    if admin is None:
        admin = ContractRoleAdmin(
            contract_address=record.address,
            role=role,
            contract=record.contract,
            admin_role=hex32(args["newAdminRole"]),
            **evidence(record),
        )
        db.add(admin)
    else:
        admin.admin_role = hex32(args["newAdminRole"])
        stamp(admin, record)


def admin_transfer_scheduled(db: Session, record: EventRecord) -> None:
    rules = _rules(db, record)
    rules.pending_admin, rules.pending_admin_schedule = record.args["newAdmin"], record.args["acceptSchedule"]


def admin_transfer_canceled(db: Session, record: EventRecord) -> None:
    rules = _rules(db, record)
    rules.pending_admin, rules.pending_admin_schedule = None, None


def admin_delay_change_scheduled(db: Session, record: EventRecord) -> None:
    rules = _rules(db, record)
    rules.pending_delay, rules.pending_delay_schedule = record.args["newDelay"], record.args["effectSchedule"]


def admin_delay_change_canceled(db: Session, record: EventRecord) -> None:
    rules = _rules(db, record)
    rules.pending_delay, rules.pending_delay_schedule = None, None


for _contract in PLATFORM_CONTRACTS:
    projector.on(_contract, "RoleGranted")(role_granted)
    projector.on(_contract, "RoleRevoked")(role_revoked)
    projector.on(_contract, "RoleAdminChanged")(role_admin_changed)
    projector.on(_contract, "DefaultAdminTransferScheduled")(admin_transfer_scheduled)
    projector.on(_contract, "DefaultAdminTransferCanceled")(admin_transfer_canceled)
    projector.on(_contract, "DefaultAdminDelayChangeScheduled")(admin_delay_change_scheduled)
    projector.on(_contract, "DefaultAdminDelayChangeCanceled")(admin_delay_change_canceled)
