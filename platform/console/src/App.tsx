import { useCallback, useEffect, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { apiKeyCredentials, describeProblem, makeClient, type Credentials, type Schemas } from "./api/client";
import { Feed } from "./components/Feed";
import { Address, Field } from "./components/ui";
import { SessionContext, type Session } from "./session";
import { AuditorWorkspace } from "./workspaces/Auditor";
import { BankWorkspace } from "./workspaces/Bank";
import { ReconciliationWorkspace } from "./workspaces/Reconciliation";
import { TraderWorkspace } from "./workspaces/Trader";

const KEY = "tradeledger.console.apiKey";

type Member = Schemas["MemberView"];
type Tab = { id: string; label: string; view: () => ReactNode };

function tabsFor(kind: string): Tab[] {
  const reconciliation = { id: "reconciliation", label: "Reconciliation", view: () => <ReconciliationWorkspace /> };
  if (kind === "BANK") return [{ id: "bank", label: "Bank", view: () => <BankWorkspace /> }, reconciliation];
  if (kind === "TRADER") return [{ id: "trade", label: "Trade", view: () => <TraderWorkspace /> }, reconciliation];
  if (kind === "AUDITOR") return [{ id: "audit", label: "Audit", view: () => <AuditorWorkspace /> }];
  return [];
}

export function App() {
  const [signedIn, setSignedIn] = useState<{ credentials: Credentials; me: Member } | null>(null);
  return signedIn ? (
    <Console {...signedIn} onSignOut={() => {
      sessionStorage.removeItem(KEY);
      setSignedIn(null);
    }} />
  ) : (
    <SignIn onSignedIn={(credentials, me) => setSignedIn({ credentials, me })} />
  );
}

/** Sign-in with an API key; the people issue's user sign-in replaces this form behind the same `Credentials`. */
function SignIn({ onSignedIn }: { onSignedIn: (credentials: Credentials, me: Member) => void }) {
  const [key, setKey] = useState(() => sessionStorage.getItem(KEY) ?? "");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError(undefined);
    const credentials = apiKeyCredentials(key.trim());
    try {
      const answer = await makeClient(credentials).GET("/v1/me/member");
      if (answer.data) {
        sessionStorage.setItem(KEY, key.trim());
        onSignedIn(credentials, answer.data);
      } else {
        setError(describeProblem(answer.error).message);
      }
    } catch (failure) {
      setError(`The service did not answer (${String(failure)}).`);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (sessionStorage.getItem(KEY)) void submit(); // a reload keeps the tab signed in
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <main className="signin">
      <h1>tradeledger console</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <Field label="API key" name="api-key" type="password" value={key} onChange={setKey} error={error} />
        <button type="submit" disabled={busy || key.trim() === ""}>
          Sign in
        </button>
      </form>
      <p className="muted">
        Use a key from <code>make run</code> (the demo members) or <code>tradeledger keys create</code>.
      </p>
    </main>
  );
}

function Console({ credentials, me, onSignOut }: { credentials: Credentials; me: Member; onSignOut: () => void }) {
  const api = useMemo(() => makeClient(credentials), [credentials]);
  const [refresh, setRefresh] = useState(0);
  const bump = useCallback(() => setRefresh((n) => n + 1), []);
  const session: Session = useMemo(() => ({ api, me, refresh, bump }), [api, me, refresh, bump]);
  const tabs = tabsFor(me.kind);
  const [active, setActive] = useState(tabs[0]?.id ?? "");
  const tab = tabs.find((t) => t.id === active) ?? tabs[0];
  return (
    <SessionContext.Provider value={session}>
      <header className="top">
        <h1>tradeledger</h1>
        <nav aria-label="Workspaces">
          {tabs.map((t) => (
            <button key={t.id} type="button" aria-current={t.id === tab?.id ? "page" : undefined} onClick={() => setActive(t.id)}>
              {t.label}
            </button>
          ))}
        </nav>
        <p className="who">
          <span className="kind">{me.kind.toLowerCase()}</span> <Address value={me.address} /> ({credentials.describe}){" "}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </p>
      </header>
      <div className="layout">
        <main id="workspace" aria-label={`${tab?.label ?? ""} workspace`}>
          {tab ? tab.view() : <p>This key's member has no workspace.</p>}
        </main>
        <Feed api={api} onNew={bump} />
      </div>
    </SessionContext.Provider>
  );
}
