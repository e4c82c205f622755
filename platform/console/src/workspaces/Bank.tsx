import { useState } from "react";
import { describeProblem, write } from "../api/client";
import { ActionOutcome, Address, Amount, Deadline, Field, Head, Section, StateBadge, useNow } from "../components/ui";
import { sameAddress } from "../lib/parties";
import { must, useAction, useLoad, useSession } from "../session";
import { ReimbursementClaims } from "./Claims";
import { FinancingRequests } from "./Financing";
import { DeferredUndertakings } from "./Maturities";
import { Balances, LcTimeline, Pipeline, Statements, useLcs, type Lc } from "./shared";

export function BankWorkspace() {
  const { me } = useSession();
  const lcs = useLcs();
  const list = lcs.data ?? [];
  const toExamine = list.filter(
    (lc) => sameAddress(lc.issuing_bank, me.address) && lc.presentations.some((p) => p.state === "PRESENTED" || p.state === "WAIVED" || p.state === "REFUSED"),
  );
  return (
    <div className="grid">
      <Section title="Credits to act on">
        <Pipeline lcs={list} />
        <CreditActions lcs={list} />
      </Section>
      <Section title="Presentations to examine">
        {toExamine.length === 0 ? <p className="muted">Nothing to examine.</p> : null}
        {toExamine.map((lc) => (
          <Examination key={lc.lc_id} lc={lc} />
        ))}
      </Section>
      <DeferredUndertakings lcs={list} />
      <ReimbursementClaims lcs={list} />
      <FinancingRequests />
      <Proposals />
      <Balances />
      <Statements />
    </div>
  );
}

function nextStep(lc: Lc, me: string): "issue" | "advise" | "confirm" | null {
  if (lc.state === "APPLIED" && sameAddress(lc.issuing_bank, me)) return "issue";
  if (lc.state === "ISSUED" && sameAddress(lc.advising_bank, me)) return "advise";
  if (lc.state === "ADVISED" && sameAddress(lc.confirming_bank, me)) return "confirm";
  return null;
}

function CreditActions({ lcs }: { lcs: Lc[] }) {
  const { api, me } = useSession();
  const action = useAction();
  const waiting = lcs.filter((lc) => nextStep(lc, me.address) !== null);
  return (
    <>
      <table>
        <Head cols={["Credit", "Applicant", "Amount", "State", "Next"]} />
        <tbody>
          {waiting.map((lc) => {
            const step = nextStep(lc, me.address)!;
            return (
              <tr key={lc.lc_id} data-lc={lc.lc_id}>
                <td>{lc.lc_id}</td>
                <td>
                  <Address value={lc.applicant} />
                </td>
                <td>
                  <Amount minor={lc.amount} currency={lc.currency} />
                </td>
                <td>
                  <StateBadge state={lc.state} />
                </td>
                <td>
                  <button
                    type="button"
                    disabled={action.busy}
                    onClick={() =>
                      action.run(() => api.POST(`/v1/lcs/{lc_id}/${step}`, { params: { path: { lc_id: Number(lc.lc_id) }, ...write() } }))
                    }
                  >
                    {step[0]!.toUpperCase() + step.slice(1)} credit {lc.lc_id}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {waiting.length === 0 ? <p className="muted">No credit waits for you.</p> : null}
      <ActionOutcome action={action} />
    </>
  );
}

const DISPOSITIONS = ["hold_pending_waiver", "hold_pending_instructions", "returning", "per_previous_instructions"] as const;

/** The honour of one presentation; a policy of the member may hold it for a checker (announced beside it). */
function Honour({ path, presentationId }: { path: { lc_id: number; presentation_id: number }; presentationId: string }) {
  const { api } = useSession();
  const honour = useAction();
  return (
    <>
      <button
        type="button"
        disabled={honour.busy}
        onClick={() => honour.run(() => api.POST("/v1/lcs/{lc_id}/presentations/{presentation_id}/honour", { params: { path, ...write() } }))}
      >
        Honour presentation #{presentationId}
      </button>
      <ActionOutcome action={honour} />
    </>
  );
}

function Examination({ lc }: { lc: Lc }) {
  const { api } = useSession();
  const now = useNow();
  const refuse = useAction();
  const [discrepancies, setDiscrepancies] = useState("");
  const [disposition, setDisposition] = useState<(typeof DISPOSITIONS)[number]>("hold_pending_waiver");
  const fields = describeProblem(refuse.problem).fields;
  return (
    <div className="detail-panel" aria-label={`Examination of credit ${lc.lc_id}`}>
      <h3>Credit {lc.lc_id}</h3>
      <LcTimeline lc={lc} />
      {lc.presentations
        .filter((p) => p.state === "PRESENTED" || p.state === "WAIVED" || p.state === "REFUSED")
        .map((p) => {
          const path = { lc_id: Number(lc.lc_id), presentation_id: Number(p.presentation_id) };
          return (
            <div key={p.presentation_id} className="presentation" data-presentation={p.presentation_id}>
              <p>
                Presentation #{p.presentation_id}: <Amount minor={p.amount} currency={lc.currency} /> <StateBadge state={p.state} />{" "}
                {p.state === "PRESENTED" ? <Deadline seconds={p.deadline} now={now} /> : null}
                {p.reused_document_count > 0 ? <strong> {p.reused_document_count} document(s) used before</strong> : null}
              </p>
              {p.state !== "REFUSED" ? (
                <Honour path={path} presentationId={p.presentation_id} />
              ) : (
                <p className="muted">Refused ({p.disposition.replace(/_/g, " ")}): waiting for the applicant.</p>
              )}
              {p.state === "PRESENTED" ? (
                <form
                  className="refusal"
                  aria-label={`Refuse presentation ${p.presentation_id}`}
                  onSubmit={(e) => {
                    e.preventDefault();
                    const codes = discrepancies.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
                    void refuse.run(() =>
                      api.POST("/v1/lcs/{lc_id}/presentations/{presentation_id}/refuse", {
                        params: { path, ...write() },
                        body: { discrepancies: codes, disposition },
                      }),
                    );
                  }}
                >
                  <Field
                    label="Discrepancies (codes, one per line)"
                    name="discrepancies"
                    multiline
                    value={discrepancies}
                    onChange={setDiscrepancies}
                    error={fields.discrepancies}
                  />
                  <div className="field">
                    <label htmlFor={`disposition-${p.presentation_id}`}>Disposition of the documents</label>
                    <select
                      id={`disposition-${p.presentation_id}`}
                      value={disposition}
                      onChange={(e) => setDisposition(e.target.value as (typeof DISPOSITIONS)[number])}
                    >
                      {DISPOSITIONS.map((d) => (
                        <option key={d} value={d}>
                          {d.replace(/_/g, " ")}
                        </option>
                      ))}
                    </select>
                  </div>
                  <button type="submit" disabled={refuse.busy}>
                    Refuse presentation #{p.presentation_id}
                  </button>
                  <ActionOutcome action={refuse} quiet={Object.keys(fields).length > 0} />
                </form>
              ) : null}
            </div>
          );
        })}
    </div>
  );
}

function Proposals() {
  const { api } = useSession();
  const action = useAction();
  const proposals = useLoad(async (a) => must(await a.GET("/v1/governance/proposals", { params: { query: { limit: 50 } } })).items);
  const open = (proposals.data ?? []).filter((p) => p.state === "OPEN" || p.state === "PENDING");
  return (
    <Section title="Proposals to vote on">
      <ul>
        {open.map((p) => (
          <li key={p.proposal_id}>
            #{p.proposal_id} {p.action.replace(/_/g, " ")} <Address value={p.subject} /> ({p.votes} votes){" "}
            <button
              type="button"
              disabled={action.busy}
              onClick={() =>
                action.run(() =>
                  api.POST("/v1/governance/proposals/{proposal_id}/votes", { params: { path: { proposal_id: Number(p.proposal_id) }, ...write() } }),
                )
              }
            >
              Vote for #{p.proposal_id}
            </button>
          </li>
        ))}
        {open.length === 0 ? <li className="muted">No open proposal.</li> : null}
      </ul>
      <ActionOutcome action={action} />
    </Section>
  );
}
