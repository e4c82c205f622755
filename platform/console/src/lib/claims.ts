// Reimbursement claims of letters of credit, as a bank or its client sees them: the issuing bank's claims on
// applicants whose funds did not cover an honour (UCP 600 Art 7: never blocking the honour), from
// GET /v1/lcs/reimbursement-claims, and nominated banks' claims on the issuing bank for drawings they honoured
// (Art 7c), from the credits.

export interface ApplicantClaim {
  claim_id: string;
  lc_id: string;
  presentation_id: string;
  issuing_bank: string;
  applicant: string;
  currency: string;
  amount: string;
  state: string;
  opened_at: number;
}

export interface ClaimCredit {
  lc_id: string;
  currency: string;
  issuing_bank: string;
  presentations: {
    presentation_id: string;
    interbank_claim?: { nominated_bank: string; amount: string; deadline: number; state: string; precluded: boolean } | null;
  }[];
}

export interface Claim {
  kind: "applicant" | "interbank";
  /** the applicant claim's id; interbank claims are keyed by their credit and presentation */
  claimId: string | null;
  lcId: string;
  presentationId: string;
  /** who owes (the applicant, or the issuing bank) and who is owed (the issuing bank, or the nominated bank) */
  debtor: string;
  creditor: string;
  currency: string;
  amount: string;
  state: "open" | "settled" | "refused";
  /** unix seconds: when it was opened (applicant), or the issuing bank's examination deadline (interbank) */
  at: number | null;
  deadline: number | null;
}

/** A bytes3 currency as the event decoder gives it ("0x555344") → "USD"; a code passes through. */
export function currencyOf(value: unknown): string {
  const text = String(value ?? "");
  if (/^0x[0-9a-f]{6}$/i.test(text)) {
    return text
      .slice(2)
      .match(/../g)!
      .map((h) => String.fromCharCode(parseInt(h, 16)))
      .join("");
  }
  return text;
}

/** Every claim on applicants and on issuing banks, open ones first, then by credit. */
export function reimbursementClaims(applicantClaims: ApplicantClaim[], credits: ClaimCredit[]): Claim[] {
  const claims: Claim[] = applicantClaims.map((c) => ({
    kind: "applicant",
    claimId: c.claim_id,
    lcId: c.lc_id,
    presentationId: c.presentation_id,
    debtor: c.applicant,
    creditor: c.issuing_bank,
    currency: c.currency,
    amount: c.amount,
    state: c.state === "OPEN" ? "open" : "settled",
    at: c.opened_at,
    deadline: null,
  }));
  for (const lc of credits) {
    for (const p of lc.presentations) {
      const c = p.interbank_claim;
      if (!c || c.state === "NONE") continue;
      claims.push({
        kind: "interbank",
        claimId: null,
        lcId: lc.lc_id,
        presentationId: p.presentation_id,
        debtor: lc.issuing_bank,
        creditor: c.nominated_bank,
        currency: lc.currency,
        amount: c.amount,
        state: c.state === "OPEN" ? "open" : c.state === "REFUSED" ? "refused" : "settled",
        at: null,
        deadline: c.deadline,
      });
    }
  }
  const rank = (c: Claim) => (c.state === "open" ? 0 : 1);
  return claims.sort((a, b) => rank(a) - rank(b) || Number(a.lcId) - Number(b.lcId) || Number(a.presentationId) - Number(b.presentationId));
}

/** The claims `member` is a party to, as debtor or creditor. */
export function claimsOf(claims: Claim[], member: string): Claim[] {
  const me = member.toLowerCase();
  return claims.filter((c) => c.debtor.toLowerCase() === me || c.creditor.toLowerCase() === me);
}
