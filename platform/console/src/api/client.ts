// The typed client of the public /v1 API, generated from the service's OpenAPI document (make console): a change
// of the API that breaks the console fails `tsc` in the build. No hand-written fetch wrappers.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "../../generated/schema";
import { describe, type Described } from "../lib/problems";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** How requests are authenticated: a person's browser session, or a service account's API key. */
export interface Credentials {
  headers(): Record<string, string>;
  describe: string;
  kind: "session" | "api-key";
}

/** A service account's bearer key (kept for machines and operators; people sign in with a session). */
export function apiKeyCredentials(key: string): Credentials {
  return { headers: () => ({ Authorization: `Bearer ${key}` }), describe: "API key", kind: "api-key" };
}

/** No credentials: the sign-in itself (POST /v1/sessions). */
export const anonymous: Credentials = { headers: () => ({}), describe: "signing in", kind: "session" };

/** A person's session: the browser sends the HttpOnly session cookie by itself (same origin); every request also
 * carries the session's CSRF token, which the service requires on writes (X-CSRF-Token). */
export function sessionCredentials(csrfToken: string, username: string): Credentials {
  return { headers: () => ({ "X-CSRF-Token": csrfToken }), describe: username, kind: "session" };
}

let counter = 0;
/** A fresh Idempotency-Key per user action (the API requires one on every write). */
export function idempotencyKey(): string {
  counter += 1;
  const random = globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`;
  return `console-${random}-${counter}`;
}

/** A client of /v1 with `credentials`; `onEnded` is called when the service no longer knows them (401: a session
 * expired, signed out in another tab, or revoked by an administrator). */
export function makeClient(credentials: Credentials, onEnded?: () => void, baseUrl = globalThis.location?.origin ?? "") {
  const client = createClient<paths>({ baseUrl });
  const auth: Middleware = {
    onResponse({ response }) {
      if (response.status === 401 && onEnded) onEnded();
      return response;
    },
    onRequest({ request }) {
      for (const [name, value] of Object.entries(credentials.headers())) request.headers.set(name, value);
      // every mutating request carries its own key: a retry of the same click is the client's to make
      if (request.method !== "GET" && !request.headers.has("Idempotency-Key")) {
        request.headers.set("Idempotency-Key", idempotencyKey());
      }
      return request;
    },
  };
  client.use(auth);
  return client;
}

export type Api = ReturnType<typeof makeClient>;

/** The header params of one write: `api.POST(path, { params: { path, ...write() } })`. */
export function write(): { header: { "Idempotency-Key": string } } {
  return { header: { "Idempotency-Key": idempotencyKey() } };
}

/** A problem+json body as a sentence, and the sentence for each field it names (`body.amount` -> `amount`). */
export function describeProblem(problem: unknown): Described {
  return describe(problem);
}
