import { useState } from "react";
import { describeProblem, write, type Schemas } from "../api/client";
import { Deadline, Field, Head, ProblemAlert, Section, StateBadge, When, useNow } from "../components/ui";
import { orderStep, sha256Hex } from "../lib/orders";
import { must, useAction, useLoad, useSession } from "../session";
import { OrderCells } from "./shared";

type Order = Schemas["OrderView"];

const LABELS = { accept: "Accept", ship: "Ship", deliver: "Confirm delivery of", pay: "Pay" } as const;

/** Orders on open account: no credit, the buyer pays at the due date (from its account, or through its bank's
 * payment undertaking). Each party takes its step here: the seller accepts and ships (the transport document
 * hashed in the browser, only the hash sent), the buyer confirms delivery and pays. */
export function OpenAccountWorkspace() {
  const now = useNow();
  const orders = useLoad(async (api) => must(await api.GET("/v1/orders", { params: { query: { limit: 100 } } })).items);
  const list = (orders.data ?? []).filter((o) => o.payment_terms === "open_account");
  return (
    <div className="grid">
      <Section title="Orders on open account">
        <table>
          <Head cols={["Order", "Buyer", "Seller", "Amount", "Due", "State", "Next"]} />
          <tbody>
            {list.map((o) => (
              <tr key={o.order_id} data-order={o.order_id}>
                <OrderCells order={o} />
                <td>
                  {o.due_date === null ? (
                    <span className="muted">on delivery</span>
                  ) : o.state === "PAID" || o.state === "CANCELLED" || o.state === "REJECTED" ? (
                    <When value={o.due_date} />
                  ) : (
                    <Deadline seconds={Date.parse(o.due_date) / 1000} now={now} />
                  )}
                </td>
                <td>
                  <StateBadge state={o.state} />
                </td>
                <td>
                  <OrderAction order={o} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.length === 0 ? <p className="muted">No order on open account.</p> : null}
      </Section>
    </div>
  );
}

function OrderAction({ order }: { order: Order }) {
  const { api, me } = useSession();
  const action = useAction();
  const [hash, setHash] = useState("");
  const step = orderStep(order, me.address);
  if (!step) return null;
  const path = { order_id: Number(order.order_id) };
  const label = `${LABELS[step]} order ${order.order_id}`;
  if (step !== "ship") {
    return (
      <>
        <button type="button" disabled={action.busy} onClick={() => action.run(() => api.POST(`/v1/orders/{order_id}/${step}`, { params: { path, ...write() } }))}>
          {label}
        </button>
        <ProblemAlert problem={action.problem} />
      </>
    );
  }
  const fields = describeProblem(action.problem).fields;
  return (
    <form
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(() =>
          api.POST("/v1/orders/{order_id}/ship", { params: { path, ...write() }, body: { transport_document_hash: hash.trim() } }),
        );
      }}
    >
      <div className="field">
        <label htmlFor={`transport-file-${order.order_id}`}>Transport document</label>
        <input
          id={`transport-file-${order.order_id}`}
          type="file"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            if (file) setHash(await sha256Hex(await file.arrayBuffer()));
          }}
        />
      </div>
      <Field
        label="or its SHA-256"
        name={`transport_document_hash-${order.order_id}`}
        value={hash}
        onChange={setHash}
        error={fields.transport_document_hash}
      />
      <button type="submit" disabled={action.busy}>
        {label}
      </button>
      {fields.transport_document_hash ? null : <ProblemAlert problem={action.problem} />}
    </form>
  );
}
