import { useState } from "react";
import type { Schemas } from "../api/client";
import { ActionOutcome, Amount, Head, Section, When } from "../components/ui";
import { VerificationResult } from "../components/VerificationResult";
import { must, useAction, useLoad, useSession } from "../session";
import { Statements } from "./shared";

export function AuditorWorkspace() {
  return (
    <div className="grid">
      <VerifyFile />
      <Anchors />
      <Statements />
    </div>
  );
}

function base64(bytes: ArrayBuffer): string {
  let binary = "";
  const view = new Uint8Array(bytes);
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
}

function VerifyFile() {
  const { api } = useSession();
  const action = useAction();
  const [file, setFile] = useState<File | null>(null);
  const [manifest, setManifest] = useState<File | null>(null);
  const [result, setResult] = useState<Schemas["VerificationView"] | null>(null);
  const [dragging, setDragging] = useState(false);
  const [manifestError, setManifestError] = useState<string | null>(null);

  const take = (files: FileList | null) => {
    for (const f of Array.from(files ?? [])) {
      if (f.name.endsWith(".manifest.json") || f.name.includes("manifest")) setManifest(f);
      else setFile(f);
    }
  };
  const verify = async () => {
    if (!file || !manifest) return;
    setResult(null);
    setManifestError(null);
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(await manifest.text()) as Record<string, unknown>;
    } catch {
      setManifestError("The manifest is not JSON: drop the file GET /v1/statements/{id}/manifest gives.");
      return;
    }
    const body = { file_base64: base64(await file.arrayBuffer()), manifest: document };
    await action.run(async () => {
      const answer = await api.POST("/v1/audit/verifications", { body });
      if (answer.data) setResult(answer.data);
      return answer;
    });
  };
  return (
    <Section title="Verify a statement file against the chain">
      <div
        className={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          take(e.dataTransfer.files);
        }}
      >
        <p>Drop a statement file and its signed manifest here, or choose them:</p>
        <div className="field">
          <label htmlFor="statement-file">Statement file</label>
          <input id="statement-file" type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
          {file ? <span className="muted">{file.name}</span> : null}
        </div>
        <div className="field">
          <label htmlFor="manifest-file">Signed manifest (JSON)</label>
          <input
            id="manifest-file"
            type="file"
            accept="application/json,.json"
            aria-describedby={manifestError ? "manifest-error" : undefined}
            onChange={(e) => setManifest(e.target.files?.[0] ?? null)}
          />
          {manifest ? <span className="muted">{manifest.name}</span> : null}
          {manifestError ? (
            <span id="manifest-error" className="field-error" role="alert">
              {manifestError}
            </span>
          ) : null}
        </div>
        <button type="button" disabled={!file || !manifest || action.busy} onClick={() => void verify()}>
          Verify against the chain
        </button>
      </div>
      <ActionOutcome action={action} />
      {result ? <VerificationResult result={result} /> : null}
    </Section>
  );
}

function Anchors() {
  const anchors = useLoad(async (api) => must(await api.GET("/v1/anchors", { params: { query: { limit: 50 } } })).items);
  return (
    <Section title="Anchors on chain">
      <table>
        <Head cols={["Anchor", "Account", "Entries", "Credits", "Status", "Anchored"]} />
        <tbody>
          {(anchors.data ?? []).map((a) => (
            <tr key={a.anchor_id}>
              <td>{a.anchor_id}</td>
              <td>
                <code title={a.account}>{a.account.slice(0, 10)}…</code>
              </td>
              <td>{a.entry_count}</td>
              <td>
                <Amount minor={a.total_credits} currency={a.currency} />
              </td>
              <td>{a.status.toLowerCase()}</td>
              <td>
                <When value={a.anchored_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {anchors.data?.length === 0 ? <p className="muted">No anchors yet.</p> : null}
    </Section>
  );
}
