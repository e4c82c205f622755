// The typed client of the public /v1 API, generated from the service's OpenAPI document (make console): a change
// of the API that breaks the console fails `tsc` in the build. No hand-written fetch wrappers.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "../../generated/schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** How requests are authenticated. Today an API key; the people issue's browser sessions plug in here. */
export interface Credentials {
  headers(): Record<string, string>;
  describe: string;
}

export function apiKeyCredentials(key: string): Credentials {
  return { headers: () => ({ Authorization: `Bearer ${key}` }), describe: "API key" };
}

let counter = 0;
/** A fresh Idempotency-Key per user action (the API requires one on every write). */
export function idempotencyKey(): string {
  counter += 1;
  const random = globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`;
  return `console-${random}-${counter}`;
}

export function makeClient(credentials: Credentials, baseUrl = globalThis.location?.origin ?? "") {
  const client = createClient<paths>({ baseUrl });
  const auth: Middleware = {
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
export function describeProblem(problem: unknown): { message: string; fields: Record<string, string> } {
  const p = (problem ?? {}) as Partial<Problem>;
  const fields: Record<string, string> = {};
  for (const item of p.errors ?? []) {
    const field = String((item as Record<string, unknown>).field ?? "").replace(/^(body|query|path)\./, "");
    const message = String((item as Record<string, unknown>).message ?? "");
    if (field) fields[field] = sentence(message);
  }
  const message = sentence(p.detail ?? p.title ?? "The request failed");
  return { message, fields };
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
