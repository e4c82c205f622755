import { write } from "../api/client";
import { ActionOutcome, Address, Amount, Deadline, Head, Section, StateBadge, When, useNow } from "../components/ui";
import { claimsOf, reimbursementClaims, type Claim } from "../lib/claims";
import { sameAddress } from "../lib/parties";
import { must, useAction, useLoad, useSession } from "../session";
import type { Lc } from "./shared";

/** Reimbursement claims of the credits the caller sees: the issuing bank's open claims on applicants (the applicant
 * pays them here), and nominated banks' claims on the issuing bank (which reimburses them here, Art 7c). */
export function ReimbursementClaims({ lcs }: { lcs: Lc[] }) {
  const { api, me } = useSession();
  const applicantClaims = useLoad(async (a) => must(await a.GET("/v1/lcs/reimbursement-claims", { params: { query: { limit: 200 } } })).items);
  const now = useNow();
  const action = useAction();
  const claims = claimsOf(reimbursementClaims(applicantClaims.data ?? [], lcs), me.address);
  const pay = (c: Claim) =>
    action.run(() => api.POST("/v1/lcs/reimbursement-claims/{claim_id}/settle", { params: { path: { claim_id: Number(c.claimId) }, ...write() } }));
  const reimburse = (c: Claim) =>
    action.run(() =>
      api.POST("/v1/lcs/{lc_id}/presentations/{presentation_id}/reimburse-nominated-bank", {
        params: { path: { lc_id: Number(c.lcId), presentation_id: Number(c.presentationId) }, ...write() },
      }),
    );
  return (
    <Section title="Reimbursement claims">
      <table>
        <Head cols={["Claim", "Credit", "Owed by", "Owed to", "Amount", "State", ""]} />
        <tbody>
          {claims.map((c) => {
            const name = c.kind === "applicant" ? `claim ${c.claimId}` : `interbank claim ${c.lcId}/${c.presentationId}`;
            return (
              <tr key={`${c.kind}-${c.claimId ?? `${c.lcId}-${c.presentationId}`}`} data-claim={name}>
                <td>{c.kind === "applicant" ? `#${c.claimId} on the applicant` : "nominated bank's"}</td>
                <td>
                  {c.lcId} / #{c.presentationId}
                </td>
                <td>
                  <Address value={c.debtor} me={me.address} />
                </td>
                <td>
                  <Address value={c.creditor} me={me.address} />
                </td>
                <td>
                  <Amount minor={c.amount} currency={c.currency} />
                </td>
                <td>
                  <StateBadge state={c.state} />{" "}
                  {c.state === "open" && c.deadline !== null ? <Deadline seconds={c.deadline} now={now} /> : null}
                  {c.at !== null ? <When value={c.at} /> : null}
                </td>
                <td>
                  {c.state === "open" && c.kind === "applicant" && sameAddress(c.debtor, me.address) ? (
                    <button type="button" disabled={action.busy} onClick={() => void pay(c)}>
                      Pay claim {c.claimId}
                    </button>
                  ) : null}
                  {c.state === "open" && c.kind === "interbank" && sameAddress(c.debtor, me.address) ? (
                    <button type="button" disabled={action.busy} onClick={() => void reimburse(c)}>
                      Reimburse {c.lcId}/{c.presentationId}
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {claims.length === 0 ? <p className="muted">No reimbursement claim.</p> : null}
      <ActionOutcome action={action} />
    </Section>
  );
}
