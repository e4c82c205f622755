import { write } from "../api/client";
import { ActionOutcome, Address, Amount, Head, Section, StateBadge, useNow } from "../components/ui";
import { maturities, utcDay, type Maturity, type MaturityCredit, type MaturityStep } from "../lib/maturity";
import { useAction, useSession } from "../session";

const LABELS: Record<MaturityStep, string> = { "pay-at-maturity": "Pay at maturity", "honour-default": "Honour the default" };

/** The deferred payment and acceptance undertakings of the credits the caller sees: when each matures, who owes it,
 * and the step the caller may take on it today (pay or collect it at maturity; honour a nominated bank's default).
 * An honour of a default that a policy of the member covers is held for approval, announced beside it. */
export function DeferredUndertakings({ lcs }: { lcs: MaturityCredit[] }) {
  const { me } = useSession();
  const now = useNow();
  const rows = maturities(lcs, me.address, utcDay(now));
  return (
    <Section title="Undertakings at maturity">
      <table>
        <Head cols={["Credit", "Owed by", "Amount", "Matures", "State", "Next", ""]} />
        <tbody>
          {rows.map((m) => (
            <MaturityRow key={`${m.lcId}/${m.presentationId}`} maturity={m} />
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? <p className="muted">No deferred payment or acceptance.</p> : null}
    </Section>
  );
}

function MaturityRow({ maturity: m }: { maturity: Maturity }) {
  const { api, me } = useSession();
  const action = useAction();
  const path = { lc_id: Number(m.lcId), presentation_id: Number(m.presentationId) };
  const name = `${m.lcId}/${m.presentationId}`;
  return (
    <tr data-deferred={name}>
      <td>
        {m.lcId} / #{m.presentationId}
      </td>
      <td>
        <Address value={m.obligor} me={me.address} />
      </td>
      <td>
        <Amount minor={m.amount} currency={m.currency} />
      </td>
      <td>
        <time dateTime={m.maturityDate}>{m.maturityDate}</time>
      </td>
      <td>
        <StateBadge state={m.state} />
      </td>
      <td>{m.next}</td>
      <td>
        {m.steps.map((step) => (
          <button
            key={step}
            type="button"
            disabled={action.busy}
            onClick={() => action.run(() => api.POST(`/v1/lcs/{lc_id}/presentations/{presentation_id}/${step}`, { params: { path, ...write() } }))}
          >
            {LABELS[step]} {name}
          </button>
        ))}
        <ActionOutcome action={action} />
      </td>
    </tr>
  );
}
