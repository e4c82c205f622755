// The next simple step the caller may take on a guarantee or a transferable record, as the contracts allow it
// (the chain still decides: a step it refuses comes back as a problem next to the button).

const same = (a: string | null | undefined, b: string) => !!a && a.toLowerCase() === b.toLowerCase();

export interface GuaranteeLike {
  state: string;
  guarantor: string;
  beneficiary: string;
  advising_party?: string | null;
}

/** issue (the guarantor, once applied), advise (the advising party, once issued), release (the beneficiary). */
export function guaranteeStep(g: GuaranteeLike, me: string): "issue" | "advise" | "release" | null {
  if (g.state === "APPLIED" && same(g.guarantor, me)) return "issue";
  if (g.state === "ISSUED" && same(g.advising_party, me)) return "advise";
  if ((g.state === "ISSUED" || g.state === "ADVISED") && same(g.beneficiary, me)) return "release";
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
  if (!same(r.controller, me)) return { steps: [], handOver: null };
  if (r.state === "HELD") return { steps: ["surrender"], handOver: r.to_order && !r.blank_endorsed ? "endorse" : "transfer" };
  if (r.state === "PLEDGED") return { steps: ["release-pledge"], handOver: null };
  if (r.state === "SURRENDERED" && same(r.issuer, me)) return { steps: ["void", "reject-surrender"], handOver: null };
  return { steps: [], handOver: null };
}
