// Open-account trade as each party sees it: what the signed-in member may do next on an invoice, a bank payment
// undertaking (URBPO 750) or a payable, and the discount a financier will be charged, computed as the service and
// the contracts compute it (tradeledger.undertakings.discount) so that it is shown before anything is submitted.
// The chain still decides: a step it refuses comes back as a problem next to the button.

import { sameAddress } from "./parties";

export type DayCount = "ACT/360" | "ACT/365";
export const DAY_COUNTS: DayCount[] = ["ACT/360", "ACT/365"];
const BPS = 10_000n;
const DAY_SECONDS = 86_400;

export interface Discount {
  days: number;
  discount: bigint;
  advance: bigint;
}

/** face x rate x days / (10,000 x basis), rounded half up to the minor unit (never above the face value). */
export function discountOf(face: bigint, rateBps: number, days: number, dayCount: DayCount): Discount {
  const basis = dayCount === "ACT/360" ? 360n : 365n;
  const numerator = face * BigInt(rateBps) * BigInt(days);
  const denominator = BPS * basis;
  const rounded = (2n * numerator + denominator) / (2n * denominator);
  const discount = rounded < face ? rounded : face;
  return { days, discount, advance: face - discount };
}

/** Whole calendar days from the UTC day of `nowMs` (the value date: the financier pays today) to the UTC day of
 * `maturitySeconds`; negative once the maturity has passed. */
export function daysToMaturity(nowMs: number, maturitySeconds: number): number {
  const today = Math.floor(nowMs / 1000 / DAY_SECONDS);
  return Math.floor(maturitySeconds / DAY_SECONDS) - today;
}

/** An annual rate typed as a percentage ("4.5", "4.50 %") → basis points (450); a sentence when it is not one. */
export function rateBps(text: string): number | { problem: string } {
  const match = /^\s*(\d{1,3})(?:\.(\d{1,2}))?\s*%?\s*$/.exec(text);
  if (!match) return { problem: "Give the annual rate as a percentage with at most two decimals, e.g. 4.5." };
  const bps = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  return bps > 10_000 ? { problem: "The rate may be at most 100 %." } : bps;
}

/** The discount the financier will be charged if it pays today, or the sentence saying why none can be computed. */
export function previewDiscount(face: string, rateText: string, dayCount: DayCount, maturitySeconds: number, nowMs: number): Discount | { problem: string } {
  const bps = rateBps(rateText);
  if (typeof bps !== "number") return bps;
  const days = daysToMaturity(nowMs, maturitySeconds);
  if (days < 0) return { problem: "The maturity has passed: there is nothing left to pay early." };
  return discountOf(BigInt(face), bps, days, dayCount);
}

export interface InvoiceLike {
  invoice_id: string;
  order_id: string;
  state: string;
  seller: string;
  buyer: string;
  version: number;
}

export type InvoiceStep = "match" | "correct" | "approve-payable";

/** What the member may do with an invoice version: the buyer records the data match of an issued invoice; the
 * seller corrects an issued or mismatched one by a new version; the buyer approves a payable for a matched (or
 * accepted) invoice that has none yet. */
export function invoiceSteps(invoice: InvoiceLike, me: string, payable: boolean): InvoiceStep[] {
  const steps: InvoiceStep[] = [];
  if (invoice.state === "ISSUED" && sameAddress(invoice.buyer, me)) steps.push("match");
  if ((invoice.state === "ISSUED" || invoice.state === "MISMATCHED") && sameAddress(invoice.seller, me)) steps.push("correct");
  if ((invoice.state === "MATCHED" || invoice.state === "ACCEPTED") && sameAddress(invoice.buyer, me) && !payable) steps.push("approve-payable");
  return steps;
}

/** What happens next to an invoice, in words, for whoever looks at it; `undertaking` is the one standing on its
 * order, if any (its obligor bank may accept the mismatch, which then stands in for a match). */
export function invoiceNext(
  invoice: InvoiceLike,
  me: string,
  undertaking: { obligor_bank: string; mismatch_invoice_id: string | null } | null,
): string {
  switch (invoice.state) {
    case "ISSUED":
      return sameAddress(invoice.buyer, me) ? "Record the data match against your order and the delivery." : "Waiting for the buyer's data match.";
    case "MISMATCHED":
      if (undertaking?.mismatch_invoice_id === invoice.invoice_id) return "Mismatch accepted by the obligor bank: paid on the due date.";
      if (sameAddress(invoice.seller, me)) return "The data do not match: correct the invoice by a new version.";
      if (sameAddress(undertaking?.obligor_bank, me)) return "The data do not match: accept the mismatch on your payment undertaking, or wait for a correction.";
      return "The data do not match: the seller corrects it, or the obligor bank accepts the mismatch.";
    case "MATCHED":
    case "ACCEPTED":
      return sameAddress(invoice.buyer, me) ? "Matched: it is paid on the due date; you may approve a payable for early payment." : "Matched: it is paid on the due date.";
    case "SUPERSEDED":
      return `Replaced by version ${invoice.version + 1}.`;
    default:
      return "";
  }
}

export interface UndertakingLike {
  order_id: string;
  state: string;
  obligor_bank: string;
  recipient_bank: string;
  seller: string;
  payee: string;
  financed_document_id: string | null;
  mismatch_invoice_id: string | null;
  due_date: number;
}

export type UndertakingStep = "accept-mismatch" | "discount";

/** The obligor bank accepts a mismatch of the invoice in force while the undertaking stands; a bank other than the
 * obligor (the recipient bank or another financier) discounts it while its proceeds still go to the seller. */
export function undertakingSteps(u: UndertakingLike, me: string, meKind: string, invoiceInForce: InvoiceLike | null, nowMs: number): UndertakingStep[] {
  if (u.state !== "ESTABLISHED") return [];
  const steps: UndertakingStep[] = [];
  if (sameAddress(u.obligor_bank, me) && invoiceInForce?.state === "MISMATCHED" && u.mismatch_invoice_id === null) steps.push("accept-mismatch");
  const financed = u.financed_document_id !== null || !sameAddress(u.payee, u.seller);
  if (meKind === "BANK" && !sameAddress(u.obligor_bank, me) && !financed && daysToMaturity(nowMs, u.due_date) >= 0) steps.push("discount");
  return steps;
}

/** What happens next to an undertaking, in words. */
export function undertakingNext(u: UndertakingLike, invoiceInForce: InvoiceLike | null): string {
  if (u.state === "SETTLED") return "Settled.";
  if (u.state === "EXPIRED") return "Expired: the data did not match in time.";
  if (invoiceInForce === null) return "Waiting for the seller's invoice.";
  if (invoiceInForce.state === "MATCHED" || invoiceInForce.state === "ACCEPTED" || u.mismatch_invoice_id !== null)
    return "Payable: the scheduler settles it on the due date.";
  if (invoiceInForce.state === "MISMATCHED") return "Mismatch: the obligor bank accepts it, or the seller corrects the invoice.";
  return "Waiting for the buyer's data match.";
}

/** The order's latest invoice version that is not superseded (the one a match, correction or acceptance concerns). */
export function invoiceInForce<T extends InvoiceLike>(invoices: T[], orderId: string): T | null {
  const live = invoices.filter((i) => i.order_id === orderId && i.state !== "SUPERSEDED");
  return live.sort((a, b) => b.version - a.version)[0] ?? null;
}

export interface OrderLike {
  order_id: string;
  buyer: string;
  state: string;
  payment_terms: string;
}

/** The buyer's sponsor bank may establish an undertaking on an accepted (or later, unpaid) open-account order
 * without one standing. */
export function mayEstablish(order: OrderLike, me: string, buyerSponsor: string | null, undertakings: UndertakingLike[]): boolean {
  const open = ["ACCEPTED", "SHIPPED", "DELIVERED"].includes(order.state) && order.payment_terms === "open_account";
  const standing = undertakings.some((u) => u.order_id === order.order_id && u.state === "ESTABLISHED");
  return open && sameAddress(buyerSponsor, me) && !standing;
}

export interface PayableLike {
  state: string;
  buyer: string;
  supplier: string;
  financier: string | null;
  maturity: number;
}

export type PayableStep = "finance" | "collect";

/** A bank finances an approved payable; from its maturity the buyer or the payee (financier, else supplier)
 * collects the buyer's payment now (the scheduler does it by itself on the day). */
export function payableSteps(p: PayableLike, me: string, meKind: string, nowMs: number): PayableStep[] {
  const steps: PayableStep[] = [];
  if (p.state === "APPROVED" && meKind === "BANK" && daysToMaturity(nowMs, p.maturity) > 0) steps.push("finance");
  const due = nowMs / 1000 >= p.maturity;
  const payee = p.financier ?? p.supplier;
  if (due && p.state !== "PAID" && (sameAddress(p.buyer, me) || sameAddress(payee, me))) steps.push("collect");
  return steps;
}

/** What happens next to a payable, in words. */
export function payableNext(p: PayableLike, me: string): string {
  if (p.state === "PAID") return "Paid.";
  if (p.state === "OVERDUE") return sameAddress(p.buyer, me) ? "Overdue: fund your account; it is collected again." : "Overdue: the buyer's funds were short.";
  if (p.state === "FINANCED") return "Financed: the buyer pays the financier at maturity.";
  return "Approved: a bank may pay the supplier early; the buyer pays at maturity.";
}

export interface LineLike {
  item: string;
  quantity: number;
  unit_price: number;
}

/** An order's stated lines (its off-chain terms, when this instance holds them), as the text the invoice forms
 * start from: one "ITEM quantity unit-price" line each, the price in minor units. */
export function linesText(terms: Record<string, unknown> | null | undefined): string {
  const lines = Array.isArray(terms?.lines) ? (terms.lines as Partial<LineLike>[]) : [];
  return lines.map((l) => `${l.item ?? ""} ${l.quantity ?? ""} ${l.unit_price ?? ""}`.trim()).join("\n");
}

/** "ITEM quantity unit-price" lines (price in minor units) → invoice lines and their total, or the first problem. */
export function parseLines(text: string): { lines: LineLike[]; total: bigint } | { problem: string } {
  const lines: LineLike[] = [];
  let total = 0n;
  for (const [index, raw] of text.split("\n").entries()) {
    if (!raw.trim()) continue;
    const match = /^\s*(\S{1,64})\s+(\d{1,15})\s+(\d{1,15})\s*$/.exec(raw);
    if (!match) return { problem: `Line ${index + 1}: write the item code, the quantity and the unit price in minor units.` };
    const line = { item: match[1]!, quantity: Number(match[2]), unit_price: Number(match[3]) };
    lines.push(line);
    total += BigInt(line.quantity) * BigInt(line.unit_price);
  }
  return lines.length ? { lines, total } : { problem: "Give at least one line." };
}

/** "ITEM quantity" lines → the quantities moved per item (the evidence of a data match), or the first problem. */
export function parseQuantities(text: string): { quantities: Record<string, number> } | { problem: string } {
  const quantities: Record<string, number> = {};
  for (const [index, raw] of text.split("\n").entries()) {
    if (!raw.trim()) continue;
    const match = /^\s*(\S{1,64})\s+(\d{1,15})(?:\s+\d+)?\s*$/.exec(raw);
    if (!match) return { problem: `Line ${index + 1}: write the item code and the whole units moved.` };
    quantities[match[1]!] = Number(match[2]);
  }
  return Object.keys(quantities).length ? { quantities } : { problem: "Give the units moved of at least one item." };
}

/** A date input's value for a day `days` after today (UTC). */
export function isoDay(nowMs: number, days = 0): string {
  return new Date(nowMs + days * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}
