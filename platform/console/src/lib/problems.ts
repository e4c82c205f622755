// problem+json bodies as sentences a person reads next to the field they concern. The service reports validation
// failures with pydantic's own wording ("List should have at least 1 item after validation, not 0"); a clerk
// should read "Name at least one." instead. Messages the service wrote itself (domain errors) are kept.

export interface ProblemLike {
  title?: string;
  detail?: string;
  code?: string;
  errors?: Record<string, unknown>[] | null;
}

export interface Described {
  /** one sentence for the whole problem (an alert above the form, when no field shows it) */
  message: string;
  /** a sentence per field the problem names, keyed by the field's name in the body (`amount`, `terms.expiry`) */
  fields: Record<string, string>;
}

const PATTERNS: [RegExp, string][] = [
  [/^\^0x\[0-9a-fA-F\]\{40\}\$$/, "an address: 0x followed by 40 hexadecimal digits"],
  [/^\^0x\[0-9a-fA-F\]\{64\}\$$/, "a hash: 0x followed by 64 hexadecimal digits"],
  [/^\^\[A-Z\]\{3\}\$$/, "a three-letter currency code such as USD"],
  [/^\^\[0-9\]\{6\}\$$/, "six digits"],
  [/^\^\[A-Za-z0-9\._@\+-\]\+\$$/, "letters, digits and . _ @ + - only"],
];

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);
const count = (n: number, what: string) => `${n === 1 ? "one" : n} ${plural(n, what, `${what}s`)}`;

/** One validation message (pydantic's wording, or the service's own) as a sentence for the field it concerns. */
export function fieldSentence(message: string): string {
  const m = message.trim();
  let match: RegExpMatchArray | null;
  if (/^field required$/i.test(m)) return "Required.";
  if (/^extra inputs are not permitted$/i.test(m)) return "Not expected here.";
  if ((match = m.match(/^String should have at least (\d+) characters?/i))) {
    const n = Number(match[1]);
    return n === 1 ? "Must not be empty." : `Must be at least ${n} characters long.`;
  }
  if ((match = m.match(/^String should have at most (\d+) characters?/i))) return `Must be at most ${match[1]} characters long.`;
  if ((match = m.match(/^List should have at least (\d+) items?/i))) return `Name at least ${count(Number(match[1]), "item")}.`;
  if ((match = m.match(/^List should have at most (\d+) items?/i))) return `Name at most ${count(Number(match[1]), "item")}.`;
  if ((match = m.match(/^String should match pattern '(.*)'$/i))) {
    const known = PATTERNS.find(([pattern]) => pattern.test(match![1]!));
    return known ? `Must be ${known[1]}.` : "Not in the expected form.";
  }
  if ((match = m.match(/^Input should be (greater|less) than( or equal to)? (-?[\d.e+]+)$/i))) {
    const [, side, equal, bound] = match;
    const word = side!.toLowerCase() === "greater" ? (equal ? "at least" : "more than") : equal ? "at most" : "less than";
    return `Must be ${word} ${bound}.`;
  }
  if (/^Input should be a valid integer/i.test(m)) return "Must be a whole number.";
  if (/^Input should be a valid (number|decimal)/i.test(m)) return "Must be a number.";
  if (/^Input should be a valid date/i.test(m)) return "Must be a date (YYYY-MM-DD).";
  if (/^Input should be a valid boolean/i.test(m)) return "Must be yes or no.";
  if ((match = m.match(/^Input should be (('[^']*'(, | or )?)+)$/i))) {
    const choices = [...match[1]!.matchAll(/'([^']*)'/g)].map((c) => c[1]!.replace(/_/g, " "));
    return `Must be one of: ${choices.join(", ")}.`;
  }
  if ((match = m.match(/^(Value|Assertion) error, (.*)$/is))) return sentence(match[2]!);
  return sentence(m);
}

/** `body.terms.expiry` → `terms.expiry`: the name a form keys its fields by. */
export function fieldName(location: string): string {
  return location.replace(/^(body|query|path|header)\./, "");
}

/** A field's name as words, for the one-sentence summary: `totp_code` → `Totp code`, `terms.expiry` → `Expiry`. */
function fieldWords(name: string): string {
  const last = name.split(".").filter((part) => !/^\d+$/.test(part)).pop() ?? name;
  const words = last.replace(/_/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?)]$/.test(first) ? first : `${first}.`;
}

/** A problem+json body (or anything thrown instead) as a sentence, and a sentence for each field it names. */
export function describe(problem: unknown): Described {
  const p = (problem && typeof problem === "object" ? problem : {}) as ProblemLike;
  const fields: Record<string, string> = {};
  for (const item of p.errors ?? []) {
    const name = fieldName(String(item.field ?? ""));
    if (name && !(name in fields)) fields[name] = fieldSentence(String(item.message ?? ""));
  }
  if (p.code === "validation_error" && Object.keys(fields).length > 0) {
    const parts = Object.entries(fields).map(([name, text]) => `${fieldWords(name)}: ${text.charAt(0).toLowerCase()}${text.slice(1, -1)}`);
    return { message: `Please correct ${plural(parts.length, "this", "these")}: ${parts.join("; ")}.`, fields };
  }
  return { message: sentence(p.detail ?? p.title ?? "The request failed"), fields };
}
