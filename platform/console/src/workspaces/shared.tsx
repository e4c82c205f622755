import { useMemo } from "react";
import type { Schemas } from "../api/client";
import { BarChart, LineChart, Timeline, type Point, type Step } from "../components/charts";
import { Address, Amount, Head, Section } from "../components/ui";
import { currencyOf } from "../lib/claims";
import { partyName } from "../lib/parties";
import { must, useLoad, useSession } from "../session";

export type Lc = Schemas["LcView"];
export type Event = Schemas["EventView"];

export function useEvents() {
  return useLoad(async (api) => must(await api.GET("/v1/events", { params: { query: { limit: 200 } } })).items);
}

export function useLcs() {
  return useLoad(async (api) => must(await api.GET("/v1/lcs", { params: { query: { limit: 200 } } })).items);
}

export function Balances() {
  const { me } = useSession();
  const balances = useLoad(async (api) =>
    must(await api.GET("/v1/accounts/{address}/balances", { params: { path: { address: me.address } } })),
  );
  const events = useEvents();
  const series = useMemo(() => balanceSeries(events.data ?? [], me.address), [events.data, me.address]);
  return (
    <Section title="Balances">
      {balances.data ? (
        <ul className="balances">
          {balances.data.balances.map((b) => (
            <li key={b.currency} data-currency={b.currency}>
              <Amount minor={b.amount} currency={b.currency} />
            </li>
          ))}
          {balances.data.balances.length === 0 ? <li className="muted">No balance yet.</li> : null}
        </ul>
      ) : null}
      {Object.entries(series).map(([currency, points]) => (
        <div key={currency}>
          <h3>{currency} balance over time</h3>
          <LineChart points={points} currency={currency} title={`${currency} balance over time`} />
        </div>
      ))}
    </Section>
  );
}

/** Running balance per currency from the Posted events the caller sees (the feed starts at the first block). */
export function balanceSeries(events: Event[], account: string): Record<string, Point[]> {
  const me = account.toLowerCase();
  const running: Record<string, bigint> = {};
  const series: Record<string, Point[]> = {};
  for (const e of events) {
    if (e.event !== "Posted") continue;
    const args = e.args as Record<string, unknown>;
    const amount = BigInt(String(args.amount ?? 0));
    const debit = String(args.debitAccount ?? "").toLowerCase();
    const credit = String(args.creditAccount ?? "").toLowerCase();
    if (debit !== me && credit !== me) continue;
    const currency = currencyOf(args.currency);
    const delta = (credit === me ? amount : 0n) - (debit === me ? amount : 0n);
    running[currency] = (running[currency] ?? 0n) + delta;
    (series[currency] ??= []).push({ at: Date.parse(e.block_timestamp) / 1000, value: running[currency]! });
  }
  return series;
}

const LC_STEPS: [string, string, keyof Lc | null][] = [
  ["LetterOfCreditApplied", "applied", "applicant"],
  ["LetterOfCreditIssued", "issued", "issuing_bank"],
  ["LetterOfCreditAdvised", "advised", "advising_bank"],
  ["LetterOfCreditConfirmed", "confirmed", "confirming_bank"],
  ["AmendmentAccepted", "amended", "beneficiary"],
  ["DocumentsPresented", "presented", "beneficiary"],
  ["PresentationRefused", "refused", "issuing_bank"],
  ["DiscrepanciesWaived", "waived", "applicant"],
  ["PresentationHonoured", "honoured", "issuing_bank"],
];

/** Who presented: the presenter the event names (the beneficiary, or a second beneficiary's transferring bank). A
 * presentation the transferring bank forwarded as presented (UCP 600 Art 38i) is made on the second beneficiary's
 * behalf: the bank is named for it, never as the credit's beneficiary. */
function presenter(lc: Lc, event: Event, me?: string): Step["party"] {
  const args = event.args as Record<string, unknown>;
  const address = String(args.beneficiary ?? lc.beneficiary);
  const forwarded = lc.transferred_presentations.some(
    (t) => t.state === "FORWARDED" && t.presentation_id === String(args.presentationId),
  );
  const name = partyName(address, lc, me);
  return { name: forwarded ? `${name}, for the second beneficiary` : name, address };
}

export function lcSteps(lc: Lc, events: Event[], me?: string): Step[] {
  const of = (name: string) =>
    events.find((e) => e.event === name && String((e.args as Record<string, unknown>).lcId) === lc.lc_id);
  return LC_STEPS.filter(([name], i) => i < 6 || of(name) || name === "PresentationHonoured").map(([name, label, party]) => {
    const event = of(name);
    const address = party && event ? (lc[party] as string | null) : null;
    return {
      label,
      at: event ? Date.parse(event.block_timestamp) / 1000 : null,
      party:
        event && name === "DocumentsPresented"
          ? presenter(lc, event, me)
          : address
            ? { name: partyName(address, lc, me), address }
            : null,
    };
  });
}

export function LcTimeline({ lc }: { lc: Lc }) {
  const { me } = useSession();
  const events = useEvents();
  return <Timeline steps={lcSteps(lc, events.data ?? [], me.address)} title={`Timeline of letter of credit ${lc.lc_id}`} />;
}

export function Pipeline({ lcs }: { lcs: Lc[] }) {
  const counts = new Map<string, number>();
  for (const lc of lcs) counts.set(lc.state, (counts.get(lc.state) ?? 0) + 1);
  return (
    <BarChart
      title="Credits by state"
      bars={[...counts.entries()].map(([label, value]) => ({ label: label.toLowerCase(), value }))}
    />
  );
}

/** An order's first cells: its id, buyer and seller (the caller as "you"), amount. */
export function OrderCells({ order }: { order: Schemas["OrderView"] }) {
  const { me } = useSession();
  return (
    <>
      <td>{order.order_id}</td>
      <td>
        <Address value={order.buyer} me={me.address} />
      </td>
      <td>
        <Address value={order.seller} me={me.address} />
      </td>
      <td>
        <Amount minor={order.amount} currency={order.currency} />
      </td>
    </>
  );
}

export function Statements() {
  const { api } = useSession();
  const statements = useLoad(async (a) => must(await a.GET("/v1/statements", { params: { query: { limit: 50 } } })).items);
  const download = async (id: string, name: string) => {
    const answer = await api.GET("/v1/statements/{statement_id}/file", {
      params: { path: { statement_id: Number(id) } },
      parseAs: "blob",
    });
    if (!answer.data) return;
    const url = URL.createObjectURL(answer.data as Blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <Section title="Statements">
      <table>
        <Head cols={["Statement", "Format", "Entries", "Closing", "Anchor", "File"]} />
        <tbody>
          {(statements.data ?? []).map((s) => (
            <tr key={s.id}>
              <td>{s.statement_id}</td>
              <td>{s.format}</td>
              <td>{s.entry_count}</td>
              <td>
                <Amount minor={s.closing} currency={s.currency} />
              </td>
              <td>{s.anchor_status ?? "not anchored"}</td>
              <td>
                <button type="button" onClick={() => download(s.id, `${s.statement_id}.${s.format}`)}>
                  Download
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {statements.data?.length === 0 ? <p className="muted">No statements yet.</p> : null}
    </Section>
  );
}
