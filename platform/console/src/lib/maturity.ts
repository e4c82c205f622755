// The undertakings honour incurs under deferred payment and acceptance credits (UCP 600 Art 7a, 12b): paid at
// maturity by the bank that incurred it (or collected by the beneficiary from that day), and honoured by the issuing
// bank when a nominated bank has not paid by the end of its maturity day. The service's scheduler submits both on
// their day; these are what each party may do by its own hand, as the contract allows (the chain's clock decides:
// a step it refuses comes back as a problem next to the button).

import { sameAddress } from "./parties";

export interface MaturityCredit {
  lc_id: string;
  currency: string;
  issuing_bank: string;
  beneficiary: string;
  presentations: {
    presentation_id: string;
    deferred_payment?: { obligor: string; amount: string; maturity_date: string; state: string } | null;
  }[];
}

export type MaturityStep = "pay-at-maturity" | "honour-default";

export interface Maturity {
  lcId: string;
  presentationId: string;
  /** the bank that incurred the undertaking: the issuing bank, or the nominated bank that honoured */
  obligor: string;
  amount: string;
  currency: string;
  /** YYYY-MM-DD, a banking day of the obligor fixed at honour */
  maturityDate: string;
  state: string;
  /** what the viewer may submit today */
  steps: MaturityStep[];
  /** what happens next, in words */
  next: string;
}

/** The UTC day of `nowMs` as YYYY-MM-DD: the contracts judge maturities by the UTC day. */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

const SETTLED: Record<string, string> = {
  PAID: "paid at maturity",
  PREPAID: "prepaid by the nominated bank (Art 12b); the issuing bank reimburses it at maturity",
  DEFAULTED: "honoured by the issuing bank: the nominated bank did not pay at maturity (Art 7a)",
};

function incurred(lc: MaturityCredit, obligor: string, maturity: string, me: string, today: string) {
  const matured = today >= maturity;
  const nominated = !sameAddress(obligor, lc.issuing_bank);
  const defaulted = nominated && today > maturity; // the maturity day has ended unpaid
  const steps: MaturityStep[] = [];
  if (matured && (sameAddress(obligor, me) || sameAddress(lc.beneficiary, me))) steps.push("pay-at-maturity");
  if (defaulted && (sameAddress(lc.issuing_bank, me) || sameAddress(lc.beneficiary, me))) steps.push("honour-default");
  const next = !matured
    ? `payable on ${maturity}`
    : defaulted
      ? "unpaid after its maturity day: the issuing bank honours it (Art 7a), unless the nominated bank pays first"
      : `due today: ${nominated ? "the nominated bank pays it by the end of the day" : "the issuing bank pays it"}`;
  return { steps, next };
}

/** Every deferred undertaking of the credits, those the viewer can act on first, then by maturity. */
export function maturities(credits: MaturityCredit[], me: string, today: string): Maturity[] {
  const rows: Maturity[] = [];
  for (const lc of credits) {
    for (const p of lc.presentations) {
      const d = p.deferred_payment;
      if (!d) continue;
      const { steps, next } =
        d.state === "INCURRED"
          ? incurred(lc, d.obligor, d.maturity_date, me, today)
          : { steps: [], next: SETTLED[d.state] ?? d.state.toLowerCase() };
      rows.push({
        lcId: lc.lc_id,
        presentationId: p.presentation_id,
        obligor: d.obligor,
        amount: d.amount,
        currency: lc.currency,
        maturityDate: d.maturity_date,
        state: d.state,
        steps,
        next,
      });
    }
  }
  const actionable = (m: Maturity) => (m.steps.length > 0 ? 0 : 1);
  return rows.sort((a, b) => actionable(a) - actionable(b) || a.maturityDate.localeCompare(b.maturityDate));
}
