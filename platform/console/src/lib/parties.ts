// A party of a credit named by the role it plays in it ("issuing bank", "applicant"), or "you": what a step of a
// credit's timeline needs to say (who the member is, by name, is for <Address>, from GET /v1/members).

export interface CreditParties {
  /** null in a second beneficiary's or an assignee's reduced view (UCP 600 Art 38, 39) */
  applicant: string | null;
  beneficiary: string;
  issuing_bank: string;
  advising_bank: string;
  confirming_bank?: string | null;
}

const ROLES: [keyof CreditParties, string][] = [
  ["applicant", "applicant"],
  ["beneficiary", "beneficiary"],
  ["issuing_bank", "issuing bank"],
  ["advising_bank", "advising bank"],
  ["confirming_bank", "confirming bank"],
];

/** Whether two addresses are the same account, whatever their case (checksummed or not); none is nobody. */
export const sameAddress = (a: string | null | undefined, b: string | null | undefined) =>
  !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** "advising and confirming bank (you)": every role the address plays in the credit, and whether it is the caller. */
export function partyName(address: string, lc: CreditParties, me?: string): string {
  const roles = ROLES.filter(([key]) => sameAddress(lc[key], address)).map(([, name]) => name);
  const merged =
    roles.length === 2 && roles[0]!.endsWith("bank") && roles[1]!.endsWith("bank")
      ? `${roles[0]!.replace(/ bank$/, "")} and ${roles[1]}`
      : roles.join(" and ");
  const name = merged || `member ${address.slice(0, 6)}…${address.slice(-4)}`;
  return sameAddress(address, me) ? `${name} (you)` : name;
}

/** The caller's role in a credit it sees: a reduced view says which (second beneficiary, assignee); otherwise the
 * trader is the applicant or the beneficiary. */
export function traderRole(lc: CreditParties & { audience?: string }, me: string): string {
  if (lc.audience === "SECOND_BENEFICIARY") return "second beneficiary";
  if (lc.audience === "ASSIGNEE") return "assignee";
  return sameAddress(lc.applicant, me) ? "applicant" : "beneficiary";
}
