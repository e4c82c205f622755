// Amounts are integer minor units (decimal strings from the API); formatting never goes through floats.
import exponents from "../../generated/currencies.json";

const table: Record<string, number> = exponents;

/** ISO 4217 minor-unit digits (USD 2, JPY 0, BHD 3), from the table the service uses; undefined if unknown. */
export function exponentOf(currency: string): number | undefined {
  return table[currency.toUpperCase()];
}

function separators(locale: string | undefined): { group: string; decimal: string } {
  const parts = new Intl.NumberFormat(locale).formatToParts(1234567.5);
  return {
    group: parts.find((p) => p.type === "group")?.value ?? ",",
    decimal: parts.find((p) => p.type === "decimal")?.value ?? ".",
  };
}

/** "USD 25,000.00" for 2500000 minor units of USD; exact for any size (BigInt), grouped per locale. */
export function formatAmount(minor: string | number | bigint, currency: string, locale?: string): string {
  const digits = exponentOf(currency);
  let value: bigint;
  try {
    value = BigInt(minor);
  } catch {
    return `${currency} ${String(minor)}`;
  }
  if (digits === undefined) return `${currency} ${value.toString()} (minor units)`;
  const negative = value < 0n;
  const absolute = (negative ? -value : value).toString().padStart(digits + 1, "0");
  const whole = absolute.slice(0, absolute.length - digits);
  const fraction = absolute.slice(absolute.length - digits);
  const { group, decimal } = separators(locale);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  return `${negative ? "-" : ""}${currency} ${grouped}${digits > 0 ? decimal + fraction : ""}`;
}

/** Minor units (decimal string) of a typed amount such as "25,000.5" in `currency`; an error says why not. */
export function parseAmount(text: string, currency: string): { minor: string } | { error: string } {
  const digits = exponentOf(currency);
  if (digits === undefined) return { error: `${currency} is not an ISO 4217 currency` };
  const cleaned = text.trim().replace(/[,\s_]/g, "");
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return { error: "enter an amount such as 1250.00" };
  const fraction = match[2] ?? "";
  if (fraction.length > digits) {
    return { error: `${currency} has ${digits} decimal place${digits === 1 ? "" : "s"}` };
  }
  const minor = BigInt((match[1] ?? "0") + fraction.padEnd(digits, "0"));
  return { minor: minor.toString() };
}

/** Minor units as an input's starting value that `parseAmount` reads back in any locale: "3600.00" for USD. */
export function plainAmount(minor: string | number | bigint, currency: string): string {
  const digits = exponentOf(currency) ?? 0;
  const text = BigInt(minor).toString().padStart(digits + 1, "0");
  return digits > 0 ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
}
