import { useState } from "react";
import { describeProblem, write, type Schemas } from "../api/client";
import { ActionOutcome, Address, Amount, Field, Head, Section, StateBadge } from "../components/ui";
import { parseAmount } from "../lib/money";
import { must, useAction, useLoad, useSession } from "../session";

type Document = Schemas["DocumentView"];

/** A bank's financing requests: registered documents it may finance, an amount typed in the currency's units. */
export function FinancingRequests() {
  const documents = useLoad(async (api) => must(await api.GET("/v1/documents", { params: { query: { limit: 100 } } })).items);
  const open = (documents.data ?? []).filter((d) => d.state === "REGISTERED");
  return (
    <Section title="Financing requests">
      <table>
        <Head cols={["Document", "Owner", "Face value", "State", "Finance"]} />
        <tbody>
          {open.map((d) => (
            <tr key={d.document_id} data-document={d.document_id}>
              <td>{d.document_id}</td>
              <td>
                <Address value={d.owner} />
              </td>
              <td>
                <Amount minor={d.face_value} currency={d.currency} />
              </td>
              <td>
                <StateBadge state={d.state} />
              </td>
              <td>
                <FinanceForm document={d} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open.length === 0 ? <p className="muted">No document waits for financing.</p> : null}
    </Section>
  );
}

function FinanceForm({ document }: { document: Document }) {
  const { api } = useSession();
  const action = useAction();
  const [amount, setAmount] = useState("");
  const [reference, setReference] = useState("");
  const [amountError, setAmountError] = useState<string | undefined>();
  const fields = describeProblem(action.problem).fields;
  const id = document.document_id;
  return (
    <form
      aria-label={`Finance document ${id}`}
      onSubmit={(e) => {
        e.preventDefault();
        const parsed = parseAmount(amount, document.currency);
        if ("error" in parsed) {
          setAmountError(`${parsed.error}.`);
          return;
        }
        const minor = Number(parsed.minor);
        if (!Number.isSafeInteger(minor)) {
          setAmountError("The amount is too large.");
          return;
        }
        setAmountError(undefined);
        void action.run(() =>
          api.POST("/v1/documents/{document_id}/financings", {
            params: { path: { document_id: Number(id) }, ...write() },
            body: { amount: minor, reference },
          }),
        );
      }}
    >
      <Field
        label={`Amount (${document.currency})`}
        name={`amount-${id}`}
        value={amount}
        onChange={(value) => {
          setAmount(value);
          setAmountError(undefined);
        }}
        error={amountError ?? fields.amount}
      />
      <Field label="Reference" name={`reference-${id}`} value={reference} onChange={setReference} error={fields.reference} />
      <button type="submit" disabled={action.busy}>
        Finance document {id}
      </button>
      <ActionOutcome action={action} quiet={fields.amount || fields.reference} />
    </form>
  );
}
