// Times in the user's zone, with UTC on hover (the `title` of the <time> element).

export function toDate(value: string | number): Date {
  return typeof value === "number" ? new Date(value * 1000) : new Date(value);
}

export function localTime(value: string | number, locale?: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(toDate(value));
}

export function utcTime(value: string | number): string {
  return toDate(value).toISOString().replace(".000Z", "Z");
}
