import { useCallback, useEffect, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { anonymous, apiKeyCredentials, describeProblem, makeClient, sessionCredentials, type Credentials, type Schemas } from "./api/client";
import { Feed } from "./components/Feed";
import { Field } from "./components/ui";
import { parseLocation } from "./lib/approvals";
import { SessionContext, memberDirectory, type Session } from "./session";
import { AuditorWorkspace } from "./workspaces/Auditor";
import { BankWorkspace } from "./workspaces/Bank";
import { ReconciliationWorkspace } from "./workspaces/Reconciliation";
import { ApprovalsWorkspace, WaitingCount } from "./workspaces/Approvals";
import { GuaranteesWorkspace } from "./workspaces/Guarantees";
import { OpenAccountWorkspace } from "./workspaces/OpenAccount";
import { RecordsWorkspace } from "./workspaces/Records";
import { TraderWorkspace } from "./workspaces/Trader";

const KEY = "tradeledger.console.apiKey";
const SESSION = "tradeledger.console.session"; // the CSRF token and username of this tab's session (the cookie is HttpOnly)
const LAST_MEMBER = "tradeledger.console.member"; // remembered for the next sign-in: an address is no one's to type

type Member = Schemas["MemberView"];
type User = Schemas["UserView"];
type Tab = { id: string; label: string; view: () => ReactNode; badge?: () => ReactNode };
type SignedIn = { credentials: Credentials; me: Member; user: User };

function tabsFor(kind: string): Tab[] {
  const reconciliation = { id: "reconciliation", label: "Reconciliation", view: () => <ReconciliationWorkspace /> };
  const approvals = { id: "approvals", label: "Approvals", view: () => <ApprovalsWorkspace />, badge: () => <WaitingCount /> };
  const guarantees = { id: "guarantees", label: "Guarantees", view: () => <GuaranteesWorkspace /> };
  const records = { id: "records", label: "Records", view: () => <RecordsWorkspace /> };
  const openAccount = { id: "open-account", label: "Open account", view: () => <OpenAccountWorkspace /> };
  if (kind === "BANK")
    return [{ id: "bank", label: "Bank", view: () => <BankWorkspace /> }, approvals, openAccount, guarantees, records, reconciliation];
  if (kind === "TRADER")
    return [{ id: "trade", label: "Trade", view: () => <TraderWorkspace /> }, approvals, openAccount, guarantees, records, reconciliation];
  if (kind === "AUDITOR") return [{ id: "audit", label: "Audit", view: () => <AuditorWorkspace /> }, guarantees, records];
  return [];
}

/** Who the credentials are: the user (GET /v1/me) and its member (GET /v1/me/member); the problem if refused. */
async function whoami(credentials: Credentials): Promise<SignedIn | { problem: unknown }> {
  const api = makeClient(credentials);
  const [user, member] = await Promise.all([api.GET("/v1/me"), api.GET("/v1/me/member")]);
  if (user.data && member.data) return { credentials, me: member.data, user: user.data };
  return { problem: user.error ?? member.error };
}

export function App() {
  const [signedIn, setSignedIn] = useState<SignedIn | null>(null);
  const ended = useCallback(() => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(SESSION);
    setSignedIn(null);
  }, []);
  return signedIn ? (
    <Console
      {...signedIn}
      onEnded={ended}
      onSignOut={async () => {
        if (signedIn.credentials.kind === "session") await makeClient(signedIn.credentials).DELETE("/v1/sessions/current").catch(() => undefined);
        ended();
      }}
    />
  ) : (
    <SignIn onSignedIn={setSignedIn} />
  );
}

/** People sign in with their member, username, password and (once enrolled) a second-factor code: a session cookie
 * and its CSRF token. Service accounts may still use an API key. */
function SignIn({ onSignedIn }: { onSignedIn: (signedIn: SignedIn) => void }) {
  const [withKey, setWithKey] = useState(() => sessionStorage.getItem(KEY) !== null);
  const [key, setKey] = useState(() => sessionStorage.getItem(KEY) ?? "");
  const [member, setMember] = useState(() => localStorage.getItem(LAST_MEMBER) ?? "");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const described = describeProblem(problem);
  const run = async (attempt: () => Promise<SignedIn | { problem: unknown }>, keep: (s: SignedIn) => void) => {
    setBusy(true);
    setProblem(null);
    try {
      const result = await attempt();
      if ("problem" in result) setProblem(result.problem);
      else {
        keep(result);
        onSignedIn(result);
      }
    } catch (failure) {
      setProblem({ detail: `The service did not answer (${String(failure)}).` });
    } finally {
      setBusy(false);
    }
  };
  const signInWithKey = () =>
    run(
      () => whoami(apiKeyCredentials(key.trim())),
      () => sessionStorage.setItem(KEY, key.trim()),
    );
  const signInAsPerson = () => {
    let csrf = ""; // the session's CSRF token: in the sign-in answer only, kept by this tab for its writes
    return run(
      async () => {
        const body = { member: member.trim(), username: username.trim(), password, ...(totp.trim() ? { totp_code: totp.trim() } : {}) };
        const started = await makeClient(anonymous).POST("/v1/sessions", { body });
        if (!started.data) return { problem: started.error };
        csrf = started.data.csrf_token;
        return whoami(sessionCredentials(csrf, started.data.user.username));
      },
      (s) => {
        localStorage.setItem(LAST_MEMBER, member.trim());
        sessionStorage.setItem(SESSION, JSON.stringify({ csrf, username: s.user.username }));
      },
    );
  };
  useEffect(() => {
    // a reload keeps the tab signed in: the session cookie is still there, its CSRF token in sessionStorage
    const stored = sessionStorage.getItem(SESSION);
    if (stored) {
      const { csrf, username: name } = JSON.parse(stored) as { csrf: string; username: string };
      void whoami(sessionCredentials(csrf, name)).then((r) => ("problem" in r ? sessionStorage.removeItem(SESSION) : onSignedIn(r)));
    } else if (sessionStorage.getItem(KEY)) void signInWithKey();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const fields = described.fields;
  const onField = Object.keys(fields).length > 0;
  return (
    <main className="signin">
      <h1>tradeledger console</h1>
      {withKey ? (
        <form
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            void signInWithKey();
          }}
          aria-label="Sign in with an API key"
        >
          <Field label="API key" name="api-key" type="password" value={key} onChange={setKey} error={problem ? described.message : undefined} />
          <button type="submit" disabled={busy || key.trim() === ""}>
            Sign in
          </button>
          <p className="muted">
            For service accounts: a key from <code>make run</code> (the demo members) or <code>tradeledger keys create</code>.{" "}
            <button type="button" className="link" onClick={() => (setWithKey(false), setProblem(null))}>
              Sign in as a person instead
            </button>
          </p>
        </form>
      ) : (
        <form
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            void signInAsPerson();
          }}
          aria-label="Sign in"
        >
          <Field label="Member address" name="member" value={member} onChange={setMember} error={fields.member} />
          <Field label="Username" name="username" value={username} onChange={setUsername} error={fields.username} autoComplete="username" />
          <Field label="Password" name="password" type="password" value={password} onChange={setPassword} error={fields.password} autoComplete="current-password" />
          <Field
            label="Second-factor code (if enrolled)"
            name="totp_code"
            value={totp}
            onChange={setTotp}
            error={fields.totp_code}
            autoComplete="one-time-code"
          />
          {problem && !onField ? (
            <p className="problem" role="alert">
              {described.message}
            </p>
          ) : null}
          <button type="submit" disabled={busy || !member.trim() || !username.trim() || !password}>
            Sign in
          </button>
          <p className="muted">
            Your administrator creates your user (POST /v1/users).{" "}
            <button type="button" className="link" onClick={() => (setWithKey(true), setProblem(null))}>
              Use an API key (service accounts)
            </button>
          </p>
        </form>
      )}
    </main>
  );
}

/** The tab the page's address names (`#approvals/<request>`: a held write's link), if any. */
function tabInLocation(): string | null {
  return parseLocation(globalThis.location?.hash ?? "")?.tab ?? null;
}

function Console({ credentials, me, user, onSignOut, onEnded }: SignedIn & { onSignOut: () => void; onEnded: () => void }) {
  const api = useMemo(() => makeClient(credentials, onEnded), [credentials, onEnded]);
  const [refresh, setRefresh] = useState(0);
  const bump = useCallback(() => setRefresh((n) => n + 1), []);
  const [members, setMembers] = useState<Session["members"]>(new Map());
  useEffect(() => {
    // a member onboarded meanwhile gets its name at the next reload of the views
    memberDirectory(api).then(setMembers, () => undefined);
  }, [api, refresh]);
  const session: Session = useMemo(() => ({ api, me, user, refresh, bump, members }), [api, me, user, refresh, bump, members]);
  const tabs = tabsFor(me.kind);
  const [active, setActive] = useState(() => tabInLocation() ?? tabs[0]?.id ?? "");
  useEffect(() => {
    const follow = () => setActive((current) => tabInLocation() ?? current);
    globalThis.addEventListener("hashchange", follow);
    return () => globalThis.removeEventListener("hashchange", follow);
  }, []);
  const tab = tabs.find((t) => t.id === active) ?? tabs[0];
  return (
    <SessionContext.Provider value={session}>
      <header className="top">
        <h1>tradeledger</h1>
        <nav aria-label="Workspaces">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              aria-current={t.id === tab?.id ? "page" : undefined}
              onClick={() => {
                setActive(t.id);
                history.replaceState(null, "", `#${t.id}`);
              }}
            >
              {t.label}
              {t.badge?.()}
            </button>
          ))}
        </nav>
        <p className="who">
          <span className="kind">{me.kind.toLowerCase()}</span>{" "}
          <span className="member" title={me.address}>
            {me.name}
          </span>{" "}
          <span className="user" title={`roles: ${user.roles.join(", ")}`}>
            {credentials.kind === "session" ? user.username : `${user.username} (API key)`}
          </span>{" "}
          <button type="button" onClick={() => void onSignOut()}>
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
