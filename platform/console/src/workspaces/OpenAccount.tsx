import { useContext, useState, type FormEvent, type ReactNode } from "react";
import { describeProblem, write, type Schemas } from "../api/client";
import { ActionOutcome, Address, Amount, Deadline, Field, Head, Section, SelectField, StateBadge, When, useNow } from "../components/ui";
import { formatAmount, parseAmount, plainAmount } from "../lib/money";
import {
  DAY_COUNTS,
  invoiceInForce,
  invoiceNext,
  invoiceSteps,
  isoDay,
  linesText,
  mayEstablish,
  parseLines,
  parseQuantities,
  payableNext,
  payableSteps,
  previewDiscount,
  rateBps,
  undertakingNext,
  undertakingSteps,
  type DayCount,
} from "../lib/openaccount";
import { orderStep, sha256Hex } from "../lib/orders";
import { sameAddress } from "../lib/parties";
import { SessionContext, must, useAction, useLoad, useSession, type Action } from "../session";
import { OrderCells } from "./shared";

type Order = Schemas["OrderView"];
type Invoice = Schemas["InvoiceView"];
type Undertaking = Schemas["PaymentUndertakingView"];
type Payable = Schemas["PayableView"];
type Comparison = Schemas["ComparisonView"];
type Selected = { kind: "invoice" | "undertaking" | "payable"; id: string } | null;

const LABELS = { accept: "Accept", ship: "Ship", deliver: "Confirm delivery of", pay: "Pay" } as const;

/** Open-account trade, each party's next step beside each object: orders (accept, ship, confirm delivery, pay, and
 * the obligor bank's payment undertaking), invoices with their match report (the buyer's data match, the seller's
 * correction by a new version, the buyer's payable), bank payment undertakings (URBPO 750: the obligor accepts a
 * mismatch, a financier discounts, the discount shown before it submits) and payables (a bank finances them). */
export function OpenAccountWorkspace() {
  const orders = useLoad(async (api) => must(await api.GET("/v1/orders", { params: { query: { limit: 200 } } })).items);
  const invoices = useLoad(async (api) => must(await api.GET("/v1/invoices", { params: { query: { limit: 200 } } })).items);
  const undertakings = useLoad(async (api) => must(await api.GET("/v1/payment-undertakings", { params: { query: { limit: 200 } } })).items);
  const payables = useLoad(async (api) => must(await api.GET("/v1/payables", { params: { query: { limit: 200 } } })).items);
  const [selected, setSelected] = useState<Selected>(null);
  const openAccount = (orders.data ?? []).filter((o) => o.payment_terms === "open_account");
  const all = { orders: openAccount, invoices: invoices.data ?? [], undertakings: undertakings.data ?? [], payables: payables.data ?? [] };
  const select = (kind: NonNullable<Selected>["kind"], id: string) => setSelected((s) => (s?.kind === kind && s.id === id ? null : { kind, id }));
  const details = (kind: NonNullable<Selected>["kind"], id: string, label: string) => (
    <button type="button" aria-expanded={selected?.kind === kind && selected.id === id} onClick={() => select(kind, id)}>
      Details of {label}
    </button>
  );
  const invoice = selected?.kind === "invoice" ? all.invoices.find((i) => i.invoice_id === selected.id) : undefined;
  const undertaking = selected?.kind === "undertaking" ? all.undertakings.find((u) => u.undertaking_id === selected.id) : undefined;
  const payable = selected?.kind === "payable" ? all.payables.find((p) => p.payable_id === selected.id) : undefined;
  return (
    <div className="grid">
      <Orders orders={openAccount} undertakings={all.undertakings} />
      <Section title="Invoices">
        <InvoiceTable invoices={all.invoices} undertakings={all.undertakings} details={details} />
        {invoice ? <InvoiceDetail invoice={invoice} order={openAccount.find((o) => o.order_id === invoice.order_id)} payables={all.payables} /> : null}
      </Section>
      <Section title="Payment undertakings">
        <UndertakingTable undertakings={all.undertakings} invoices={all.invoices} details={details} />
        {undertaking ? <UndertakingDetail undertaking={undertaking} invoice={invoiceInForce(all.invoices, undertaking.order_id)} /> : null}
      </Section>
      <Section title="Payables">
        <PayableTable payables={all.payables} details={details} />
        {payable ? <PayableDetail payable={payable} /> : null}
      </Section>
    </div>
  );
}

type Details = (kind: NonNullable<Selected>["kind"], id: string, label: string) => ReactNode;

function Orders({ orders, undertakings }: { orders: Order[]; undertakings: Undertaking[] }) {
  const now = useNow();
  return (
    <Section title="Orders on open account">
      <table>
        <Head cols={["Order", "Buyer", "Seller", "Amount", "Due", "State", "Next"]} />
        <tbody>
          {orders.map((o) => (
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
                <Establish order={o} undertakings={undertakings} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {orders.length === 0 ? <p className="muted">No order on open account.</p> : null}
    </Section>
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
        <ActionOutcome action={action} />
      </>
    );
  }
  const fields = describeProblem(action.problem).fields;
  return (
    <form
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(() => api.POST("/v1/orders/{order_id}/ship", { params: { path, ...write() }, body: { transport_document_hash: hash.trim() } }));
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
      <Field label="or its SHA-256" name={`transport_document_hash-${order.order_id}`} value={hash} onChange={setHash} error={fields.transport_document_hash} />
      <button type="submit" disabled={action.busy}>
        {label}
      </button>
      <ActionOutcome action={action} quiet={fields.transport_document_hash} />
    </form>
  );
}

/** A form's own problems (values the console checks before sending) and the service's, per field; the service's
 * problem is `quiet` (not repeated above the button) only when every field it names is one the form shows. */
function useFormProblems(action: Action, shown: string[]) {
  const [local, setLocal] = useState<Record<string, string>>({});
  const served = describeProblem(action.problem).fields;
  const fields: Record<string, string | undefined> = { ...served, ...local };
  const check = (problems: Record<string, string | undefined>): boolean => {
    const found = Object.fromEntries(Object.entries(problems).filter((e): e is [string, string] => !!e[1]));
    setLocal(found);
    return Object.keys(found).length === 0;
  };
  const named = Object.keys(served);
  return { fields, check, quiet: named.length > 0 && named.every((name) => shown.includes(name)) };
}

/** The buyer's sponsor bank (the obligor) undertakes to pay the seller's bank on the due date (URBPO 750). */
function Establish({ order, undertakings }: { order: Order; undertakings: Undertaking[] }) {
  const { api, me, members } = useSession();
  const action = useAction();
  const form = useFormProblems(action, ["recipient_bank", "amount", "due_date", "expiry"]);
  const now = useNow();
  const due = order.due_date ? order.due_date.slice(0, 10) : isoDay(now, 60);
  const [recipient, setRecipient] = useState("");
  const [amount, setAmount] = useState(() => plainAmount(order.amount, order.currency));
  const [dueDate, setDueDate] = useState(due);
  const [expiry, setExpiry] = useState(due);
  const sponsor = members.get(order.buyer.toLowerCase())?.sponsor ?? null;
  if (!mayEstablish(order, me.address, sponsor, undertakings)) return action.held ? <ActionOutcome action={action} /> : null;
  const banks = [...members.values()].filter((m) => m.kind === "BANK" && m.status === "ACTIVE");
  const label = `Establish a payment undertaking for order ${order.order_id}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseAmount(amount, order.currency);
    if (!form.check({ recipient_bank: recipient ? undefined : "Choose the seller's bank.", amount: "error" in parsed ? `${parsed.error}.` : undefined })) return;
    if ("error" in parsed) return;
    const body = { order_id: Number(order.order_id), recipient_bank: recipient, amount: Number(parsed.minor), due_date: dueDate, expiry, terms: { rules: "URBPO 750" } };
    void action.run(() => api.POST("/v1/payment-undertakings", { params: write(), body }));
  };
  return (
    <form aria-label={label} onSubmit={submit} className="detail-panel">
      <SelectField
        label="Recipient bank (the seller's)"
        name={`recipient_bank-${order.order_id}`}
        value={recipient}
        onChange={setRecipient}
        options={banks.map((b) => ({ value: b.address, label: b.name }))}
        placeholder="choose a bank"
        error={form.fields.recipient_bank}
      />
      <Field label={`Amount (${order.currency})`} name={`amount-${order.order_id}`} value={amount} onChange={setAmount} error={form.fields.amount} />
      <Field label="Due date" name={`due_date-${order.order_id}`} type="date" value={dueDate} onChange={setDueDate} error={form.fields.due_date} />
      <Field label="Expiry (last day the data may match)" name={`expiry-${order.order_id}`} type="date" value={expiry} onChange={setExpiry} error={form.fields.expiry} />
      <button type="submit" disabled={action.busy}>
        {label}
      </button>
      <ActionOutcome action={action} quiet={form.quiet} />
    </form>
  );
}

function InvoiceTable({ invoices, undertakings, details }: { invoices: Invoice[]; undertakings: Undertaking[]; details: Details }) {
  const { me } = useSession();
  return (
    <>
      <table>
        <Head cols={["Invoice", "Order", "Version", "Seller", "Buyer", "Amount", "State", "Next", ""]} />
        <tbody>
          {invoices.map((i) => {
            const standing = undertakings.find((u) => u.order_id === i.order_id && u.state === "ESTABLISHED") ?? null;
            return (
              <tr key={i.invoice_id} data-invoice={i.invoice_id}>
                <td>{i.invoice_id}</td>
                <td>{i.order_id}</td>
                <td>{i.version}</td>
                <td>
                  <Address value={i.seller} me={me.address} />
                </td>
                <td>
                  <Address value={i.buyer} me={me.address} />
                </td>
                <td>
                  <Amount minor={i.amount} currency={i.currency} />
                </td>
                <td>
                  <StateBadge state={i.state} />
                </td>
                <td>{invoiceNext(i, me.address, standing)}</td>
                <td>{details("invoice", i.invoice_id, `invoice ${i.invoice_id}`)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {invoices.length === 0 ? <p className="muted">No invoice on open account.</p> : null}
    </>
  );
}

/** A compared value; a member's address as the member (its name, or "you"). */
function ComparedValue({ value }: { value: string }) {
  const me = useContext(SessionContext)?.me.address;
  return /^0x[0-9a-fA-F]{40}$/.test(value) ? <Address value={value} {...(me ? { me } : {})} /> : <>{value}</>;
}

/** Every field the data match compared, the mismatches first and marked, with the tolerance each allowed. */
export function MatchReport({ report }: { report: Schemas["MatchReportView"] }) {
  const verdict = report.matched ? "matched" : report.accepted ? "mismatch accepted" : "mismatch";
  const rows: Comparison[] = report.comparisons ? [...report.comparisons].sort((a, b) => Number(a.ok) - Number(b.ok)) : [];
  return (
    <div className="match-report" data-verdict={verdict}>
      <p>
        <strong>Match report: {verdict}</strong>
        {report.mismatches ? `, ${report.mismatches.length} mismatch(es) in ${report.comparisons?.length ?? 0} comparisons` : null}.{" "}
        <small className="muted" title="SHA-256 of the report, anchored on chain">
          {report.report_hash.slice(0, 10)}…
        </small>
      </p>
      {report.comparisons === null ? (
        <p className="muted">The report is not held by this instance; its hash is on chain.</p>
      ) : (
        <table>
          <Head cols={["Field", "Expected", "Actual", "Tolerance", "Result"]} />
          <tbody>
            {rows.map((c) => (
              <tr key={c.field} data-field={c.field} className={c.ok ? undefined : "mismatch"}>
                <td>{c.field}</td>
                <td>
                  <ComparedValue value={c.expected} />
                </td>
                <td>
                  <ComparedValue value={c.actual} />
                </td>
                <td>{c.tolerance}</td>
                <td>{c.ok ? "ok" : <strong>mismatch</strong>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function InvoiceDetail({ invoice, order, payables }: { invoice: Invoice; order: Order | undefined; payables: Payable[] }) {
  const { me } = useSession();
  const steps = invoiceSteps(invoice, me.address, payables.some((p) => p.invoice_id === invoice.invoice_id));
  return (
    <div className="detail-panel" aria-label={`Invoice ${invoice.invoice_id}`} data-invoice={invoice.invoice_id}>
      <h3>
        Invoice {invoice.invoice_id}, version {invoice.version} of order {invoice.order_id}
      </h3>
      <p>
        <Amount minor={invoice.amount} currency={invoice.currency} /> for {invoice.quantity_total} units, issued <When value={invoice.issue_date} />{" "}
        <StateBadge state={invoice.state} />
        {invoice.supersedes ? ` (corrects invoice ${invoice.supersedes})` : null}
        {invoice.superseded_by ? ` (corrected by invoice ${invoice.superseded_by})` : null}
      </p>
      {invoice.match_report ? <MatchReport report={invoice.match_report} /> : <p className="muted">No data match recorded yet.</p>}
      {steps.includes("match") ? <MatchForm invoice={invoice} order={order} /> : null}
      {steps.includes("correct") ? <CorrectionForm invoice={invoice} order={order} /> : null}
      {steps.includes("approve-payable") ? <PayableForm invoice={invoice} /> : null}
    </div>
  );
}

/** The buyer's data match: the evidence that the goods moved, compared by the service with the order and invoice. */
function MatchForm({ invoice, order }: { invoice: Invoice; order: Order | undefined }) {
  const { api } = useSession();
  const action = useAction();
  const form = useFormProblems(action, ["evidence.document_hash", "evidence.event_date", "evidence.quantities"]);
  const now = useNow();
  const [kind, setKind] = useState<"delivery_confirmation" | "transport_document">("delivery_confirmation");
  const [hash, setHash] = useState(order?.transport_document_hash ?? "");
  const [day, setDay] = useState(isoDay(now));
  const [quantities, setQuantities] = useState(() => linesText(order?.terms));
  const label = `Record the data match of invoice ${invoice.invoice_id}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const moved = parseQuantities(quantities);
    if (!form.check({ quantities: "problem" in moved ? moved.problem : undefined }) || "problem" in moved) return;
    const evidence = { kind, document_hash: hash.trim(), event_date: day, quantities: moved.quantities };
    void action.run(() => api.POST("/v1/invoices/{invoice_id}/match", { params: { path: { invoice_id: Number(invoice.invoice_id) }, ...write() }, body: { evidence } }));
  };
  return (
    <form aria-label={label} onSubmit={submit}>
      <SelectField
        label="Evidence"
        name={`evidence-kind-${invoice.invoice_id}`}
        value={kind}
        onChange={(value) => setKind(value as typeof kind)}
        options={[
          { value: "delivery_confirmation", label: "delivery confirmation" },
          { value: "transport_document", label: "transport document" },
        ]}
      />
      <Field label="Document SHA-256" name={`document_hash-${invoice.invoice_id}`} value={hash} onChange={setHash} error={form.fields["evidence.document_hash"]} />
      <Field label="Date of delivery or shipment" name={`event_date-${invoice.invoice_id}`} type="date" value={day} onChange={setDay} error={form.fields["evidence.event_date"]} />
      <Field label="Units moved (item and quantity, one per line)" name={`quantities-${invoice.invoice_id}`} value={quantities} onChange={setQuantities} error={form.fields.quantities ?? form.fields["evidence.quantities"]} multiline />
      <button type="submit" disabled={action.busy}>
        {label}
      </button>
      <ActionOutcome action={action} quiet={form.quiet} />
    </form>
  );
}

/** The seller corrects an issued or mismatched invoice by a new version (the buyer then matches it again). */
function CorrectionForm({ invoice, order }: { invoice: Invoice; order: Order | undefined }) {
  const { api } = useSession();
  const action = useAction();
  const form = useFormProblems(action, ["number", "issue_date", "lines"]);
  const now = useNow();
  const [number, setNumber] = useState("");
  const [day, setDay] = useState(isoDay(now));
  const [lines, setLines] = useState(() => linesText(order?.terms));
  const parsed = parseLines(lines);
  const label = `Correct invoice ${invoice.invoice_id} by a new version`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!form.check({ number: number.trim() ? undefined : "Give the corrected invoice's number.", lines: "problem" in parsed ? parsed.problem : undefined })) return;
    if ("problem" in parsed) return;
    const body = { number: number.trim(), issue_date: day, amount: Number(parsed.total), lines: parsed.lines };
    void action.run(() => api.POST("/v1/invoices/{invoice_id}/corrections", { params: { path: { invoice_id: Number(invoice.invoice_id) }, ...write() }, body }));
  };
  return (
    <form aria-label={label} onSubmit={submit}>
      <Field label="Invoice number" name={`number-${invoice.invoice_id}`} value={number} onChange={setNumber} error={form.fields.number} />
      <Field label="Issue date" name={`issue_date-${invoice.invoice_id}`} type="date" value={day} onChange={setDay} error={form.fields.issue_date} />
      <Field label="Lines (item, quantity, unit price in minor units; one per line)" name={`lines-${invoice.invoice_id}`} value={lines} onChange={setLines} error={form.fields.lines} multiline />
      {"total" in parsed ? (
        <p className="muted">
          Total: <Amount minor={parsed.total.toString()} currency={invoice.currency} />
        </p>
      ) : null}
      <button type="submit" disabled={action.busy}>
        {label}
      </button>
      <ActionOutcome action={action} quiet={form.quiet} />
    </form>
  );
}

/** The buyer approves a payable for its matched invoice: irrevocable, paid on the maturity day. */
function PayableForm({ invoice }: { invoice: Invoice }) {
  const { api } = useSession();
  const action = useAction();
  const form = useFormProblems(action, ["amount", "maturity"]);
  const now = useNow();
  const [amount, setAmount] = useState(() => plainAmount(invoice.amount, invoice.currency));
  const [maturity, setMaturity] = useState(isoDay(now, 60));
  const label = `Approve a payable for invoice ${invoice.invoice_id}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseAmount(amount, invoice.currency);
    if (!form.check({ amount: "error" in parsed ? `${parsed.error}.` : undefined }) || "error" in parsed) return;
    const body = { invoice_id: Number(invoice.invoice_id), amount: Number(parsed.minor), currency: invoice.currency, maturity };
    void action.run(() => api.POST("/v1/payables", { params: write(), body }));
  };
  return (
    <form aria-label={label} onSubmit={submit}>
      <Field label={`Amount (${invoice.currency})`} name={`payable-amount-${invoice.invoice_id}`} value={amount} onChange={setAmount} error={form.fields.amount} />
      <Field label="Maturity" name={`maturity-${invoice.invoice_id}`} type="date" value={maturity} onChange={setMaturity} error={form.fields.maturity} />
      <button type="submit" disabled={action.busy}>
        {label}
      </button>
      <ActionOutcome action={action} quiet={form.quiet} />
    </form>
  );
}

function UndertakingTable({ undertakings, invoices, details }: { undertakings: Undertaking[]; invoices: Invoice[]; details: Details }) {
  const { me } = useSession();
  return (
    <>
      <table>
        <Head cols={["Undertaking", "Order", "Obligor bank", "Recipient bank", "Amount", "Due", "State", "Next", ""]} />
        <tbody>
          {undertakings.map((u) => (
            <tr key={u.undertaking_id} data-undertaking={u.undertaking_id}>
              <td>{u.undertaking_id}</td>
              <td>{u.order_id}</td>
              <td>
                <Address value={u.obligor_bank} me={me.address} />
              </td>
              <td>
                <Address value={u.recipient_bank} me={me.address} />
              </td>
              <td>
                <Amount minor={u.amount} currency={u.currency} />
              </td>
              <td>
                <When value={u.due_date} />
              </td>
              <td>
                <StateBadge state={u.state} />
              </td>
              <td>{undertakingNext(u, invoiceInForce(invoices, u.order_id))}</td>
              <td>{details("undertaking", u.undertaking_id, `undertaking ${u.undertaking_id}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {undertakings.length === 0 ? <p className="muted">No payment undertaking.</p> : null}
    </>
  );
}

function UndertakingDetail({ undertaking: u, invoice }: { undertaking: Undertaking; invoice: Invoice | null }) {
  const { api, me } = useSession();
  const now = useNow();
  const accept = useAction();
  const steps = undertakingSteps(u, me.address, me.kind, invoice, now);
  const path = { undertaking_id: Number(u.undertaking_id) };
  return (
    <div className="detail-panel" aria-label={`Payment undertaking ${u.undertaking_id}`} data-undertaking={u.undertaking_id}>
      <h3>
        Payment undertaking {u.undertaking_id} for order {u.order_id}
      </h3>
      <dl className="facts">
        <dt>Obligor bank</dt>
        <dd>
          <Address value={u.obligor_bank} me={me.address} />
        </dd>
        <dt>Recipient bank</dt>
        <dd>
          <Address value={u.recipient_bank} me={me.address} />
        </dd>
        <dt>Paid to</dt>
        <dd>
          <Address value={u.payee} me={me.address} />
        </dd>
        <dt>Amount</dt>
        <dd>
          <Amount minor={u.amount} currency={u.currency} />
        </dd>
        <dt>Due</dt>
        <dd>
          <When value={u.due_date} />
        </dd>
        <dt>Expiry</dt>
        <dd>
          <When value={u.expiry} />
        </dd>
        <dt>State</dt>
        <dd>
          <StateBadge state={u.state} /> {u.mismatch_invoice_id ? `mismatch of invoice ${u.mismatch_invoice_id} accepted` : null}
        </dd>
      </dl>
      <p>{undertakingNext(u, invoice)}</p>
      {invoice?.match_report ? <MatchReport report={invoice.match_report} /> : null}
      {steps.includes("accept-mismatch") || accept.held ? (
        <>
          <button
            type="button"
            disabled={accept.busy || !steps.includes("accept-mismatch")}
            onClick={() => accept.run(() => api.POST("/v1/payment-undertakings/{undertaking_id}/accept-mismatch", { params: { path, ...write() } }))}
          >
            Accept the mismatch of invoice {invoice?.invoice_id}
          </button>
          <ActionOutcome action={accept} />
        </>
      ) : null}
      {steps.includes("discount") ? (
        <DiscountForm
          label={`Discount undertaking ${u.undertaking_id}`}
          face={u.amount}
          currency={u.currency}
          maturity={u.due_date}
          owner={u.seller}
          send={(body) => api.POST("/v1/payment-undertakings/{undertaking_id}/discounts", { params: { path, ...write() }, body })}
          withReference
        />
      ) : null}
    </div>
  );
}

type DiscountBody = { document_id: number; rate_bps: number; day_count: DayCount; reference: string };

/** A financier pays early against an invoice it registered (the duplicate-financing guard): the discount it will
 * be charged if it pays today is shown as the terms are typed, before anything is submitted. */
function DiscountForm(props: {
  label: string;
  face: string;
  currency: string;
  maturity: number;
  owner: string;
  send: (body: DiscountBody) => Promise<{ data?: unknown; error?: unknown }>;
  withReference?: boolean;
}) {
  const { me } = useSession();
  const action = useAction();
  const form = useFormProblems(action, ["document_id", "rate_bps", "reference"]);
  const now = useNow();
  const documents = useLoad(async (api) => must(await api.GET("/v1/documents", { params: { query: { limit: 200 } } })).items);
  const [documentId, setDocumentId] = useState("");
  const [rate, setRate] = useState("");
  const [dayCount, setDayCount] = useState<DayCount>("ACT/360");
  const [reference, setReference] = useState("");
  const mine = (documents.data ?? []).filter((d) => d.state === "REGISTERED" && sameAddress(d.owner, props.owner) && sameAddress(d.registrar, me.address));
  const chosen = mine.find((d) => d.document_id === documentId);
  const preview = rate.trim() ? previewDiscount(props.face, rate, dayCount, props.maturity, now) : null;
  const id = props.label.replace(/\W+/g, "-");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const bps = rateBps(rate);
    const problems = {
      document_id: documentId ? undefined : "Choose the invoice you registered.",
      rate_bps: typeof bps === "number" ? undefined : bps.problem,
      reference: props.withReference && !reference.trim() ? "Give the financing's reference." : undefined,
    };
    if (!form.check(problems) || typeof bps !== "number") return;
    void action.run(() => props.send({ document_id: Number(documentId), rate_bps: bps, day_count: dayCount, reference: reference.trim() }));
  };
  return (
    <form aria-label={props.label} onSubmit={submit}>
      <SelectField
        label="Invoice registered by you"
        name={`${id}-document`}
        value={documentId}
        onChange={setDocumentId}
        options={mine.map((d) => ({ value: d.document_id, label: `document ${d.document_id} (${d.kind}, ${formatAmount(d.face_value, d.currency)})` }))}
        placeholder="choose a document"
        error={form.fields.document_id}
      />
      <Field label="Annual rate (%)" name={`${id}-rate`} value={rate} onChange={setRate} error={form.fields.rate_bps} />
      <SelectField
        label="Day count"
        name={`${id}-day-count`}
        value={dayCount}
        onChange={(value) => setDayCount(value as DayCount)}
        options={DAY_COUNTS.map((d) => ({ value: d, label: d }))}
      />
      {props.withReference ? <Field label="Reference" name={`${id}-reference`} value={reference} onChange={setReference} error={form.fields.reference} /> : null}
      {preview && "discount" in preview && chosen && BigInt(chosen.face_value) < preview.advance ? (
        <p className="problem" role="alert">
          The advance exceeds document {chosen.document_id}&apos;s face value of {formatAmount(chosen.face_value, chosen.currency)}: the registry would refuse it.
        </p>
      ) : null}
      {preview && "discount" in preview ? (
        <p className="preview" role="status" aria-label="Computed discount">
          Discount {formatAmount(preview.discount, props.currency)} for {preview.days} day(s) at {rate.trim().replace(/\s*%$/, "")} % {dayCount}: the seller receives{" "}
          {formatAmount(preview.advance, props.currency)} if you pay today (UTC); the service prices it on the chain's date.
        </p>
      ) : null}
      <button type="submit" disabled={action.busy}>
        {props.label}
      </button>
      <ActionOutcome action={action} quiet={form.quiet} />
    </form>
  );
}

function PayableTable({ payables, details }: { payables: Payable[]; details: Details }) {
  const { me } = useSession();
  return (
    <>
      <table>
        <Head cols={["Payable", "Invoice", "Buyer", "Supplier", "Amount", "Maturity", "State", "Next", ""]} />
        <tbody>
          {payables.map((p) => (
            <tr key={p.payable_id} data-payable={p.payable_id}>
              <td>{p.payable_id}</td>
              <td>{p.invoice_id}</td>
              <td>
                <Address value={p.buyer} me={me.address} />
              </td>
              <td>
                <Address value={p.supplier} me={me.address} />
              </td>
              <td>
                <Amount minor={p.amount} currency={p.currency} />
              </td>
              <td>
                <When value={p.maturity} />
              </td>
              <td>
                <StateBadge state={p.state} />
              </td>
              <td>{payableNext(p, me.address)}</td>
              <td>{details("payable", p.payable_id, `payable ${p.payable_id}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {payables.length === 0 ? <p className="muted">No payable.</p> : null}
    </>
  );
}

function PayableDetail({ payable: p }: { payable: Payable }) {
  const { api, me } = useSession();
  const now = useNow();
  const collect = useAction();
  const steps = payableSteps(p, me.address, me.kind, now);
  const path = { payable_id: Number(p.payable_id) };
  return (
    <div className="detail-panel" aria-label={`Payable ${p.payable_id}`} data-payable={p.payable_id}>
      <h3>
        Payable {p.payable_id} for invoice {p.invoice_id}
      </h3>
      <p>
        <Address value={p.buyer} me={me.address} /> pays <Amount minor={p.amount} currency={p.currency} /> on <When value={p.maturity} />{" "}
        <StateBadge state={p.state} />
      </p>
      {p.discount ? (
        <p>
          Financed by <Address value={p.financier} me={me.address} />: the supplier received <Amount minor={p.discount.advance} currency={p.currency} /> (discount{" "}
          <Amount minor={p.discount.discount} currency={p.currency} />, {p.discount.rate_bps / 100} % {p.discount.day_count} for {p.discount.days_to_maturity} days).
        </p>
      ) : null}
      <p>{payableNext(p, me.address)}</p>
      {steps.includes("finance") ? (
        <DiscountForm
          label={`Finance payable ${p.payable_id}`}
          face={p.amount}
          currency={p.currency}
          maturity={p.maturity}
          owner={p.supplier}
          send={({ document_id, rate_bps, day_count }) =>
            api.POST("/v1/payables/{payable_id}/financings", { params: { path, ...write() }, body: { document_id, rate_bps, day_count } })
          }
        />
      ) : null}
      {steps.includes("collect") ? (
        <>
          <button type="button" disabled={collect.busy} onClick={() => collect.run(() => api.POST("/v1/payables/{payable_id}/collect", { params: { path, ...write() } }))}>
            Collect payable {p.payable_id} now
          </button>
          <ActionOutcome action={collect} />
        </>
      ) : null}
    </div>
  );
}
