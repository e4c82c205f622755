"""The scheduler's provider for guarantees and standbys: the steps of a reduction schedule once their day has come
(URDG 25(a)(ii), ISP98 2.06), an automatic extension once the last day for the issuer's notice of non-extension has
passed (ISP98 2.06(a)), and expiry once the last day for demands has passed.

A scheduled reduction took effect on its day whether recorded or not (the contract's amounts follow its clock);
the job records it so that the read model, the events and the statements show it. Its key names the undertaking
and the first step it records (`guarantee-reduce:<id>:<step>`): the contract records every step due in one call,
once each, and the next step's job has a new key once those are indexed. While reductions are due the provider
asks for them before the extension or the expiry.

The chain decides: a job is due at the first second after the last day for demands, by the chain's clock, and the
contract's `expire` checks the same day again. The last day is the expiry day under URDG 758 (no roll-over: a
closed expiry day stands, URDG 25); under ISP98 a closed expiry day moves to the issuer's next business day
(ISP98 3.13(a)), by the BankingCalendar's rule (weekends and the holidays the guarantor registered, as indexed).
An expiry event is not a date: the guarantor records it with its document (`expire_on_event`).

An undertaking that states an automatic extension (a standby, or a guarantee by its own terms, URDG 1(a)) extends
by its period, capped at its final expiry, from the day after the last day for notice (the expiry day less the
notice days) unless the issuer gave notice; the contract refuses to expire it while an extension is due, so
the provider asks for the extension instead of the expiry. Its key names the expiry it extends
(`guarantee-extend:<id>:<expiry>`): each period is one job, submitted once whatever restarts happen, and the next
period's job has a new key once the extension is indexed.

The job key names the undertaking and its last day, so an expiry extended after a job was keyed (an accepted
amendment, a granted "extend or pay") makes a new job. A job is signed by the guarantor when this instance hosts
its key, else by another party hosted here (`expire` accepts any party); an undertaking none of whose parties is
hosted here is another instance's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tradeledger.chain.txmanager import ContractCall
from tradeledger.guarantees.models import Rules, Undertaking, UndertakingReductionStep, UndertakingState
from tradeledger.lcs.models import BankHoliday
from tradeledger.scheduler.service import DueJob

CONTRACT = "Undertakings"
DAY = 86_400
MAX_CALENDAR_SCAN_DAYS = 60  # BankingCalendar.MAX_CALENDAR_SCAN_DAYS: past it every day counts as a banking day
OPERATIVE = (UndertakingState.ISSUED, UndertakingState.ADVISED)


def is_banking_day(db: Session, bank: str, day: int) -> bool:
    """BankingCalendar's rule: Saturdays and Sundays are closed (`(day + 4) % 7` is 6 and 0), and so is a day the
    bank registered as a holiday."""
    if (day + 4) % 7 in (0, 6):
        return False
    holiday = db.get(BankHoliday, (bank, day))
    return holiday is None or not holiday.closed


def next_banking_day(db: Session, bank: str, day: int) -> int:
    """The day itself if the bank is open, else its next banking day (the calendar's bounded scan)."""
    for offset in range(MAX_CALENDAR_SCAN_DAYS):
        if is_banking_day(db, bank, day + offset):
            return day + offset
    return day + MAX_CALENDAR_SCAN_DAYS


def last_notice_day(undertaking: Undertaking) -> int:
    """Undertakings._lastNoticeDay: the last day for the issuer's notice of non-extension."""
    return max(undertaking.expiry // DAY - undertaking.non_extension_notice_days, 0)


def extension_stated(undertaking: Undertaking) -> bool:
    """Undertakings._extensionDue less the date: an automatic extension stated, not noticed, below the final expiry."""
    u = undertaking
    return (
        u.extension_days > 0 and not u.non_extension_noticed and (u.final_expiry is None or u.expiry < u.final_expiry)
    )


def last_demand_day(db: Session, undertaking: Undertaking) -> int:
    """Undertakings.lastDemandDay: the expiry day (URDG 758), rolled to the issuer's next business day (ISP98)."""
    day = undertaking.expiry // DAY
    if undertaking.rules is Rules.ISP98:
        return next_banking_day(db, undertaking.guarantor, day)
    return day


class GuaranteeExpiryJobs:
    """Expiries of operative guarantees, counter-guarantees and standbys whose last day for demands has passed, the
    automatic extensions whose last day for notice of non-extension has passed, and scheduled reductions due."""

    name = "guarantee-expiries"

    def __init__(self, address: str, hosted: Callable[[], set[str]]) -> None:
        self.address = address
        self.hosted = hosted

    def due(self, db: Session, now: int) -> Iterator[DueJob]:
        hosted = self.hosted()
        today = now // DAY
        step = UndertakingReductionStep
        # the first step due of each undertaking, with its day (steps come in increasing days)
        reductions = {
            undertaking_id: (first, day)
            for undertaking_id, first, day in db.execute(
                select(step.undertaking_id, func.min(step.step), func.min(step.day))
                .where(step.recorded_at.is_(None), step.day <= today)
                .group_by(step.undertaking_id)
            )
        }
        operative = db.scalars(
            select(Undertaking)
            .where(
                Undertaking.state.in_(OPERATIVE),
                or_(
                    Undertaking.expiry < now,
                    Undertaking.extension_days > 0,
                    Undertaking.undertaking_id.in_(list(reductions)),
                ),
            )
            .order_by(Undertaking.undertaking_id)
        )
        for undertaking in operative:
            u = undertaking
            signer = next((p for p in (u.guarantor, u.beneficiary, u.applicant, u.advising_party) if p in hosted), None)
            if signer is None:
                continue
            if u.undertaking_id in reductions:
                first, day = reductions[u.undertaking_id]
                call = ContractCall(CONTRACT, self.address, "recordScheduledReductions", (u.undertaking_id,), signer)
                yield DueJob(f"guarantee-reduce:{u.undertaking_id}:{first}", day * DAY, call)
                continue  # the extension or the expiry comes once the reductions are recorded
            if extension_stated(undertaking):
                due_at = (last_notice_day(undertaking) + 1) * DAY
                if due_at <= now:
                    call = ContractCall(CONTRACT, self.address, "extendAutomatically", (u.undertaking_id,), signer)
                    yield DueJob(f"guarantee-extend:{u.undertaking_id}:{u.expiry}", due_at, call)
                continue  # the contract expires it only once no extension is due
            last_day = last_demand_day(db, undertaking)
            due_at = (last_day + 1) * DAY
            if due_at <= now:
                call = ContractCall(CONTRACT, self.address, "expire", (undertaking.undertaking_id,), signer)
                yield DueJob(f"guarantee-expire:{undertaking.undertaking_id}:{last_day}", due_at, call)
