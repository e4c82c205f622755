import { formatAmount } from "../lib/money";
import { summarize, type Verification } from "../lib/verification";

/** The verdict on a dropped statement file, entry by entry against the chain. */
export function VerificationResult({ result }: { result: Verification }) {
  const s = summarize(result);
  return (
    <div className={`verification verification-${s.verdict}`} data-verdict={s.verdict}>
      <p className="verdict" role="status">
        {s.verdict === "verified" ? "✔ " : "✖ "}
        {s.headline}
      </p>
      <p className="muted">
        Statement {result.statement} · chain {result.chain_id} · file {result.file_sha256.slice(0, 18)}…
      </p>
      {result.problems.length > 0 ? (
        <ul className="problems" aria-label="Problems found">
          {result.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      ) : null}
      <table>
        <caption>Entries checked against their Posted logs</caption>
        <thead>
          <tr>
            <th scope="col">Entry</th>
            <th scope="col">Result</th>
            <th scope="col">In the file</th>
            <th scope="col">On chain</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {s.rows.map((row) => (
            <tr key={`${row.entry_id}-${row.status}`} className={`entry-${row.status}`} data-entry={row.entry_id}>
              <td>{row.entry_id}</td>
              <td>{row.status}</td>
              <td>{row.file_amount == null ? "—" : formatAmount(row.file_amount, result.currency)}</td>
              <td>{row.chain_amount == null ? "—" : formatAmount(row.chain_amount, result.currency)}</td>
              <td className="detail">{row.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
