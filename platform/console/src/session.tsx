import { createContext, useCallback, useContext, useEffect, useState } from "react";
import type { Api, Schemas } from "./api/client";
import { heldRequest, type HeldRequest } from "./lib/approvals";

export interface Session {
  api: Api;
  me: Schemas["MemberView"];
  /** the person (or service account) acting: its id tells a maker's own requests, its roles what it may decide */
  user: Schemas["UserView"];
  /** bumped when the activity feed sees new events, or after an action: views reload */
  refresh: number;
  bump: () => void;
  /** the member directory the caller may see, by lower-case address (GET /v1/members): names, kinds, sponsors */
  members: ReadonlyMap<string, Schemas["MemberView"]>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in console");
  return session;
}

/** The data of an openapi-fetch answer, or its problem+json body thrown. */
export function must<T>(answer: { data?: T; error?: unknown }): T {
  if (answer.error !== undefined || answer.data === undefined) throw answer.error ?? { detail: "no answer" };
  return answer.data;
}

export function useLoad<T>(load: (api: Api) => Promise<T>, deps: unknown[] = []) {
  const { api, refresh } = useSession();
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  useEffect(() => {
    let live = true;
    load(api).then(
      (data) => live && setState({ data }),
      (error: unknown) => live && setState((s) => ({ ...s, error })),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, refresh, ...deps]);
  return state;
}

/** Run a write; its problem+json (if any) is kept for the form to show next to its fields, and so is the approval
 * request when a four-eyes policy of the member held the write (202 with the request): every screen announces
 * both where the write was clicked, through `ActionOutcome`. */
export function useAction() {
  const { bump } = useSession();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>(null);
  const [held, setHeld] = useState<HeldRequest | null>(null);
  const run = useCallback(
    async (write: () => Promise<{ data?: unknown; error?: unknown }>): Promise<boolean> => {
      setBusy(true);
      setProblem(null);
      setHeld(null);
      try {
        const answer = await write();
        if (answer.error !== undefined) {
          setProblem(answer.error);
          return false;
        }
        setHeld(heldRequest(answer.data));
        bump();
        return true;
      } catch (error) {
        setProblem({ detail: String(error) });
        return false;
      } finally {
        setBusy(false);
      }
    },
    [bump],
  );
  return { busy, problem, held, run, clear: () => setProblem(null) };
}

export type Action = ReturnType<typeof useAction>;

/** Every member of the directory the caller may see, by lower-case address: their names for people to read. */
export async function memberDirectory(api: Api): Promise<Map<string, Schemas["MemberView"]>> {
  const members = new Map<string, Schemas["MemberView"]>();
  let cursor: string | undefined;
  for (;;) {
    const page = must(await api.GET("/v1/members", { params: { query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
    for (const m of page.items) members.set(m.address.toLowerCase(), m);
    if (!page.next_cursor || page.items.length === 0) return members;
    cursor = page.next_cursor;
  }
}
