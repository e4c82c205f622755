// The next simple step the caller may take on a guarantee or a transferable record, as the contracts allow it
// (the chain still decides: a step it refuses comes back as a problem next to the button).

import { sameAddress } from "./parties";

export interface GuaranteeLike {
  state: string;
  guarantor: string;
  beneficiary: string;
  advising_party?: string | null;
}

/** issue (the guarantor, once applied), advise (the advising party, once issued), release (the beneficiary). */
export function guaranteeStep(g: GuaranteeLike, me: string): "issue" | "advise" | "release" | null {
  if (g.state === "APPLIED" && sameAddress(g.guarantor, me)) return "issue";
  if (g.state === "ISSUED" && sameAddress(g.advising_party, me)) return "advise";
  if ((g.state === "ISSUED" || g.state === "ADVISED") && sameAddress(g.beneficiary, me)) return "release";
  return null;
}

export interface RecordLike {
  state: string;
  issuer: string;
  holder: string;
  controller: string;
  to_order: boolean;
  blank_endorsed: boolean;
}

export type RecordStep = "endorse" | "transfer" | "surrender" | "release-pledge" | "void" | "reject-surrender";

/** Steps without a counterparty, and whether the caller may hand control on (endorse an order document, transfer
 * a bearer or blank-endorsed one): only the controller acts on a record. */
export function recordSteps(r: RecordLike, me: string): { steps: RecordStep[]; handOver: "endorse" | "transfer" | null } {
  if (!sameAddress(r.controller, me)) return { steps: [], handOver: null };
  if (r.state === "HELD") return { steps: ["surrender"], handOver: r.to_order && !r.blank_endorsed ? "endorse" : "transfer" };
  if (r.state === "PLEDGED") return { steps: ["release-pledge"], handOver: null };
  if (r.state === "SURRENDERED" && sameAddress(r.issuer, me)) return { steps: ["void", "reject-surrender"], handOver: null };
  return { steps: [], handOver: null };
}

export interface ScheduledGuarantee {
  state: string;
  amount: string;
  reduction_schedule: { step: number; day: number; amount: string; recorded_at: number | null }[];
}

export interface ReductionRow {
  step: number;
  /** YYYY-MM-DD: the UTC day from whose start the amount is reduced */
  date: string;
  amount: string;
  /** the amount once this step and those before it took effect, in minor units */
  after: string;
  /** recorded on chain; in effect since its day but not recorded yet; still to come */
  status: "recorded" | "due" | "upcoming";
}

const DAY_MS = 86_400_000;

/** The reduction schedule of a guarantee or standby (URDG 25(a)(ii), ISP98 2.06) on UTC day `today` (unix days),
 * and whether a step has taken effect without being recorded while the undertaking is operative: any party may then
 * record it (the scheduler does on its day; each step took effect on its date either way). */
export function reductionSchedule(g: ScheduledGuarantee, today: number): { rows: ReductionRow[]; recordable: boolean } {
  let left = BigInt(g.amount);
  const rows = g.reduction_schedule.map((s): ReductionRow => {
    left -= BigInt(s.amount);
    const status = s.recorded_at !== null ? "recorded" : s.day <= today ? "due" : "upcoming";
    const after = left > 0n ? left : 0n;
    return { step: s.step, date: new Date(s.day * DAY_MS).toISOString().slice(0, 10), amount: s.amount, after: after.toString(), status };
  });
  const operative = g.state === "ISSUED" || g.state === "ADVISED";
  return { rows, recordable: operative && rows.some((r) => r.status === "due") };
}
