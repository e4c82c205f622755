import { useState } from "react";
import { describeProblem, write, type Schemas } from "../api/client";
import { ActionOutcome, Address, Amount, Deadline, Field, Head, Section, StateBadge, When, useNow } from "../components/ui";
import { guaranteeStep, reductionSchedule } from "../lib/undertakings";
import { must, useAction, useLoad, useSession } from "../session";

type Guarantee = Schemas["GuaranteeView"];
type Demand = Schemas["DemandView"];

const RULES: Record<string, string> = { URDG_758: "demand guarantee (URDG 758)", ISP98: "standby (ISP98)" };

/** Demand guarantees, counter-guarantees and standbys the caller is a party to: the list, one's detail with its
 * demands (the deadline to pay or reject counting down), and the simple steps (issue, advise, release, pay,
 * reject with every discrepancy). */
export function GuaranteesWorkspace() {
  const { me } = useSession();
  const guarantees = useLoad(async (api) => must(await api.GET("/v1/guarantees", { params: { query: { limit: 100 } } })).items);
  const [open, setOpen] = useState<string | null>(null);
  const list = guarantees.data ?? [];
  return (
    <div className="grid">
      <Section title="Guarantees and standbys">
        <table>
          <Head cols={["Guarantee", "Kind", "Applicant", "Beneficiary", "Guarantor", "Amount", "Outstanding", "Expiry", "State", ""]} />
          <tbody>
            {list.map((g) => (
              <tr key={g.guarantee_id} data-guarantee={g.guarantee_id}>
                <td>{g.guarantee_id}</td>
                <td>{g.counter_guarantee_of ? "counter-guarantee" : (RULES[g.rules] ?? g.rules)}</td>
                <td>
                  <Address value={g.applicant} me={me.address} />
                </td>
                <td>
                  <Address value={g.beneficiary} me={me.address} />
                </td>
                <td>
                  <Address value={g.guarantor} me={me.address} />
                </td>
                <td>
                  <Amount minor={g.amount} currency={g.currency} />
                </td>
                <td>
                  <Amount minor={g.outstanding} currency={g.currency} />
                </td>
                <td>
                  <When value={g.expiry} />
                </td>
                <td>
                  <StateBadge state={g.state} />
                </td>
                <td>
                  <button type="button" aria-expanded={open === g.guarantee_id} onClick={() => setOpen(open === g.guarantee_id ? null : g.guarantee_id)}>
                    {open === g.guarantee_id ? "Hide" : `Details of guarantee ${g.guarantee_id}`}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.length === 0 ? <p className="muted">No guarantee or standby yet.</p> : null}
        {list
          .filter((g) => g.guarantee_id === open)
          .map((g) => (
            <GuaranteeDetail key={g.guarantee_id} guarantee={g} />
          ))}
      </Section>
    </div>
  );
}

function GuaranteeDetail({ guarantee: g }: { guarantee: Guarantee }) {
  const { api, me } = useSession();
  const action = useAction();
  const step = guaranteeStep(g, me.address);
  const path = { guarantee_id: Number(g.guarantee_id) };
  return (
    <div className="detail-panel" aria-label={`Guarantee ${g.guarantee_id}`}>
      <h3>
        Guarantee {g.guarantee_id}: {RULES[g.rules] ?? g.rules}
      </h3>
      <p>
        <Amount minor={g.amount} currency={g.currency} />, paid <Amount minor={g.paid} currency={g.currency} />, reduced{" "}
        <Amount minor={g.reduced} currency={g.currency} />; expires <When value={g.expiry} />. Advising party <Address value={g.advising_party} me={me.address} />
        {g.counter_guarantee_of ? <>; counter-guarantee of {g.counter_guarantee_of}</> : null}.
      </p>
      {step ? (
        <button
          type="button"
          disabled={action.busy}
          onClick={() => action.run(() => api.POST(`/v1/guarantees/{guarantee_id}/${step}`, { params: { path, ...write() } }))}
        >
          {step[0]!.toUpperCase() + step.slice(1)} guarantee {g.guarantee_id}
        </button>
      ) : null}
      <ActionOutcome action={action} />
      <ReductionSchedule guarantee={g} />
      <h4>Demands</h4>
      <ul className="presentations">
        {g.demands.map((d) => (
          <DemandItem key={d.demand_id} guarantee={g} demand={d} />
        ))}
        {g.demands.length === 0 ? <li className="muted">No demand.</li> : null}
      </ul>
      {g.amendments.length > 0 ? (
        <>
          <h4>Amendments</h4>
          <ul>
            {g.amendments.map((a) => (
              <li key={a.amendment_id}>
                #{a.amendment_id} <Amount minor={a.amount} currency={g.currency} />, expiry <When value={a.expiry} /> <StateBadge state={a.state} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

/** The reductions on stated dates (URDG 25(a)(ii), ISP98 2.06): each step's date, the amount once it took effect,
 * whether it is recorded; a step in effect but not recorded yet may be recorded by any party (the scheduler does). */
function ReductionSchedule({ guarantee: g }: { guarantee: Guarantee }) {
  const { api } = useSession();
  const now = useNow();
  const record = useAction();
  const { rows, recordable } = reductionSchedule(g, Math.floor(now / 86_400_000));
  if (rows.length === 0) return null;
  const path = { guarantee_id: Number(g.guarantee_id) };
  return (
    <div aria-label={`Reduction schedule of guarantee ${g.guarantee_id}`}>
      <h4>Reduction schedule</h4>
      <p>
        Current amount <Amount minor={g.current_amount} currency={g.currency} />, outstanding{" "}
        <Amount minor={g.outstanding} currency={g.currency} />.
      </p>
      <table>
        <Head cols={["Step", "From", "Reduced by", "Amount after", "Status"]} />
        <tbody>
          {rows.map((r) => (
            <tr key={r.step} data-step={r.step} data-status={r.status}>
              <td>{r.step}</td>
              <td>
                <time dateTime={r.date}>{r.date}</time>
              </td>
              <td>
                <Amount minor={r.amount} currency={g.currency} />
              </td>
              <td>
                <Amount minor={r.after} currency={g.currency} />
              </td>
              <td>{r.status === "due" ? "in effect, not recorded yet" : r.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {recordable ? (
        <button
          type="button"
          disabled={record.busy}
          onClick={() => record.run(() => api.POST("/v1/guarantees/{guarantee_id}/record-reductions", { params: { path, ...write() } }))}
        >
          Record the reductions in effect of guarantee {g.guarantee_id}
        </button>
      ) : null}
      <ActionOutcome action={record} />
    </div>
  );
}

function DemandItem({ guarantee: g, demand: d }: { guarantee: Guarantee; demand: Demand }) {
  const { api, me } = useSession();
  const now = useNow();
  const pay = useAction();
  const reject = useAction();
  const [discrepancies, setDiscrepancies] = useState("");
  const guarantor = g.guarantor.toLowerCase() === me.address.toLowerCase();
  const path = { guarantee_id: Number(g.guarantee_id), demand_id: Number(d.demand_id) };
  const fields = describeProblem(reject.problem).fields;
  const examinable = guarantor && (d.state === "PRESENTED" || d.state === "SUSPENDED");
  return (
    <li data-demand={d.demand_id}>
      Demand #{d.demand_id}: <Amount minor={d.amount} currency={g.currency} /> <StateBadge state={d.state} />{" "}
      {d.state === "PRESENTED" ? <Deadline seconds={d.deadline} now={now} /> : null}
      {d.discrepancies.length > 0 ? <> discrepancies: {d.discrepancies.join(", ")}</> : null}
      {examinable ? (
        <form
          className="refusal"
          aria-label={`Examine demand ${d.demand_id}`}
          onSubmit={(e) => {
            e.preventDefault();
            const codes = discrepancies.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
            void reject.run(() =>
              api.POST("/v1/guarantees/{guarantee_id}/demands/{demand_id}/reject", { params: { path, ...write() }, body: { discrepancies: codes } }),
            );
          }}
        >
          <button
            type="button"
            disabled={pay.busy}
            onClick={() => pay.run(() => api.POST("/v1/guarantees/{guarantee_id}/demands/{demand_id}/pay", { params: { path, ...write() } }))}
          >
            Pay demand #{d.demand_id}
          </button>
          <ActionOutcome action={pay} />
          <Field
            label="Discrepancies (one per line)"
            name={`discrepancies-${d.demand_id}`}
            multiline
            value={discrepancies}
            onChange={setDiscrepancies}
            error={fields.discrepancies}
          />
          <button type="submit" disabled={reject.busy}>
            Reject demand #{d.demand_id}
          </button>
          <ActionOutcome action={reject} quiet={fields.discrepancies} />
        </form>
      ) : null}
    </li>
  );
}
