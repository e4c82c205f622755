import { useState } from "react";
import { write } from "../api/client";
import { ActionOutcome, Address, Amount, Deadline, Head, Section, StateBadge, When, useNow } from "../components/ui";
import { traderRole } from "../lib/parties";
import { must, useAction, useLoad, useSession } from "../session";
import { ReimbursementClaims } from "./Claims";
import { DeferredUndertakings } from "./Maturities";
import { Balances, LcTimeline, OrderCells, Pipeline, Statements, useLcs, type Lc } from "./shared";

export function TraderWorkspace() {
  const lcs = useLcs();
  return (
    <div className="grid">
      <Credits />
      <DeferredUndertakings lcs={lcs.data ?? []} />
      <ReimbursementClaims lcs={lcs.data ?? []} />
      <Balances />
      <Orders />
      <Documents />
      <Statements />
    </div>
  );
}

function Credits() {
  const { me } = useSession();
  const lcs = useLcs();
  const [open, setOpen] = useState<string | null>(null);
  const list = lcs.data ?? [];
  return (
    <Section title="Letters of credit">
      <Pipeline lcs={list} />
      <table>
        <Head cols={["Credit", "Role", "Amount", "Drawn", "State", ""]} />
        <tbody>
          {list.map((lc) => (
            <tr key={lc.lc_id} data-lc={lc.lc_id}>
              <td>{lc.lc_id}</td>
              <td>{traderRole(lc, me.address)}</td>
              <td>
                <Amount minor={lc.amount} currency={lc.currency} />
              </td>
              <td>
                <Amount minor={lc.drawn} currency={lc.currency} />
              </td>
              <td>
                <StateBadge state={lc.state} />
              </td>
              <td>
                <button type="button" aria-expanded={open === lc.lc_id} onClick={() => setOpen(open === lc.lc_id ? null : lc.lc_id)}>
                  {open === lc.lc_id ? "Hide" : "Details"}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length === 0 ? <p className="muted">No credits yet.</p> : null}
      {list
        .filter((lc) => lc.lc_id === open)
        .map((lc) => (
          <CreditDetail key={lc.lc_id} lc={lc} />
        ))}
    </Section>
  );
}

function CreditDetail({ lc }: { lc: Lc }) {
  const { api, me } = useSession();
  const now = useNow();
  const action = useAction();
  const applicant = traderRole(lc, me.address) === "applicant";
  return (
    <div className="detail-panel" aria-label={`Credit ${lc.lc_id}`}>
      <h3>Credit {lc.lc_id}</h3>
      <LcTimeline lc={lc} />
      <p>
        Applicant <Address value={lc.applicant} me={me.address} />, beneficiary <Address value={lc.beneficiary} me={me.address} />,
        issuing bank <Address value={lc.issuing_bank} />, advising bank <Address value={lc.advising_bank} />, available with{" "}
        <Address value={lc.available_with_bank} />
      </p>
      <h4>Presentations</h4>
      <ul className="presentations">
        {lc.presentations.map((p) => (
          <li key={p.presentation_id} data-presentation={p.presentation_id}>
            #{p.presentation_id} <Amount minor={p.amount} currency={lc.currency} /> <StateBadge state={p.state} />{" "}
            {p.state === "PRESENTED" ? <Deadline seconds={p.deadline} now={now} /> : null}
            {p.state === "REFUSED" ? <> disposition: {p.disposition.replace(/_/g, " ")}</> : null}
            {applicant && p.state === "REFUSED" ? (
              <button
                type="button"
                disabled={action.busy}
                onClick={() =>
                  action.run(() =>
                    api.POST("/v1/lcs/{lc_id}/presentations/{presentation_id}/waive", {
                      params: { path: { lc_id: Number(lc.lc_id), presentation_id: Number(p.presentation_id) }, ...write() },
                    }),
                  )
                }
              >
                Waive the discrepancies
              </button>
            ) : null}
          </li>
        ))}
        {lc.presentations.length === 0 ? <li className="muted">No presentation yet.</li> : null}
      </ul>
      <ActionOutcome action={action} />
    </div>
  );
}

function Orders() {
  const orders = useLoad(async (api) => must(await api.GET("/v1/orders", { params: { query: { limit: 100 } } })).items);
  return (
    <Section title="Orders">
      <table>
        <Head cols={["Order", "Buyer", "Seller", "Amount", "Latest shipment", "State"]} />
        <tbody>
          {(orders.data ?? []).map((o) => (
            <tr key={o.order_id}>
              <OrderCells order={o} />
              <td>
                <When value={o.latest_shipment} />
              </td>
              <td>
                <StateBadge state={o.state} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {orders.data?.length === 0 ? <p className="muted">No orders yet.</p> : null}
    </Section>
  );
}

function Documents() {
  const documents = useLoad(async (api) => must(await api.GET("/v1/documents", { params: { query: { limit: 100 } } })).items);
  return (
    <Section title="Documents and financings">
      <table>
        <Head cols={["Document", "Kind", "Face value", "Financed", "Financier", "State"]} />
        <tbody>
          {(documents.data ?? []).map((d) => (
            <tr key={d.document_id}>
              <td>{d.document_id}</td>
              <td>{d.kind}</td>
              <td>
                <Amount minor={d.face_value} currency={d.currency} />
              </td>
              <td>
                <Amount minor={d.financed_amount} currency={d.currency} />
              </td>
              <td>
                <Address value={d.financier} />
              </td>
              <td>
                <StateBadge state={d.state} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {documents.data?.length === 0 ? <p className="muted">No documents yet.</p> : null}
    </Section>
  );
}
