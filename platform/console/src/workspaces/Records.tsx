import { useState } from "react";
import { describeProblem, write, type Schemas } from "../api/client";
import { ActionOutcome, Address, Field, Head, Section, StateBadge, When } from "../components/ui";
import { recordSteps, type RecordStep } from "../lib/undertakings";
import { must, useAction, useLoad, useSession } from "../session";

type TransferableRecord = Schemas["RecordView"];

const STEP_LABELS: Record<RecordStep, string> = {
  endorse: "Endorse",
  transfer: "Transfer",
  surrender: "Surrender",
  "release-pledge": "Release the pledge of",
  void: "Void",
  "reject-surrender": "Reject the surrender of",
};

/** Transferable records (electronic bills of lading and the like): who controls each, its history of control,
 * and the controller's steps. The document itself stays off chain: only its SHA-256 is shown. */
export function RecordsWorkspace() {
  const { me } = useSession();
  const records = useLoad(async (api) => must(await api.GET("/v1/records", { params: { query: { limit: 100 } } })).items);
  const [open, setOpen] = useState<string | null>(null);
  const list = records.data ?? [];
  return (
    <div className="grid">
      <Section title="Transferable records">
        <table>
          <Head cols={["Record", "Kind", "Issuer", "Holder", "Controller", "Issued", "State", ""]} />
          <tbody>
            {list.map((r) => (
              <tr key={r.record_id} data-record={r.record_id}>
                <td>{r.record_id}</td>
                <td>
                  {r.kind.replace(/_/g, " ")}
                  {r.to_order ? " (to order)" : " (bearer)"}
                </td>
                <td>
                  <Address value={r.issuer} me={me.address} />
                </td>
                <td>
                  <Address value={r.holder} me={me.address} />
                </td>
                <td>
                  <Address value={r.controller} me={me.address} />
                </td>
                <td>
                  <When value={r.issued_at} />
                </td>
                <td>
                  <StateBadge state={r.state} />
                </td>
                <td>
                  <button type="button" aria-expanded={open === r.record_id} onClick={() => setOpen(open === r.record_id ? null : r.record_id)}>
                    {open === r.record_id ? "Hide" : `Details of record ${r.record_id}`}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.length === 0 ? <p className="muted">No transferable record yet.</p> : null}
        {list
          .filter((r) => r.record_id === open)
          .map((r) => (
            <RecordDetail key={r.record_id} record={r} />
          ))}
      </Section>
    </div>
  );
}

function RecordDetail({ record: r }: { record: TransferableRecord }) {
  const { api, me } = useSession();
  const action = useAction();
  const handAction = useAction();
  const [to, setTo] = useState("");
  const { steps, handOver } = recordSteps(r, me.address);
  const path = { record_id: Number(r.record_id) };
  const fields = describeProblem(handAction.problem).fields;
  return (
    <div className="detail-panel" aria-label={`Record ${r.record_id}`}>
      <h3>
        Record {r.record_id}: {r.kind.replace(/_/g, " ")}
      </h3>
      <p>
        Document <code title={r.document_hash}>{`${r.document_hash.slice(0, 12)}…`}</code>; {r.endorsements} endorsement(s)
        {r.blank_endorsed ? ", endorsed in blank" : ""}.
      </p>
      <h4>History of control</h4>
      <ol className="timeline-list">
        {r.history.map((h, i) => (
          <li key={i}>
            {h.action} <When value={h.at} />: controlled by <Address value={h.controller} me={me.address} />, held by{" "}
            <Address value={h.holder} me={me.address} /> <StateBadge state={h.state} />
          </li>
        ))}
      </ol>
      {steps.map((step) => (
        <button
          key={step}
          type="button"
          disabled={action.busy}
          onClick={() => action.run(() => api.POST(`/v1/records/{record_id}/${step}`, { params: { path, ...write() } }))}
        >
          {STEP_LABELS[step]} record {r.record_id}
        </button>
      ))}
      <ActionOutcome action={action} />
      {handOver ? (
        <form
          aria-label={`${STEP_LABELS[handOver]} record ${r.record_id}`}
          onSubmit={(e) => {
            e.preventDefault();
            void handAction.run(() =>
              handOver === "endorse"
                ? api.POST("/v1/records/{record_id}/endorse", { params: { path, ...write() }, body: { endorsee: to.trim() } })
                : api.POST("/v1/records/{record_id}/transfer", { params: { path, ...write() }, body: { to: to.trim() } }),
            );
          }}
        >
          <Field
            label={handOver === "endorse" ? "Endorsee (member address)" : "New holder (member address)"}
            name={`to-${r.record_id}`}
            value={to}
            onChange={setTo}
            error={fields.endorsee ?? fields.to}
          />
          <button type="submit" disabled={handAction.busy}>
            {STEP_LABELS[handOver]} record {r.record_id}
          </button>
          <ActionOutcome action={handAction} quiet={fields.endorsee || fields.to} />
        </form>
      ) : null}
    </div>
  );
}
