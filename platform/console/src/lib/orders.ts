// The next step of an open-account order and who takes it (TradeOrders): the seller accepts and ships, the buyer
// confirms delivery and pays from its settlement account (or its bank's payment undertaking pays at the due date).

import { sameAddress } from "./parties";

export interface OrderLike {
  state: string;
  buyer: string;
  seller: string;
  payment_terms: string;
}

export type OrderStep = "accept" | "ship" | "deliver" | "pay";

export function orderStep(order: OrderLike, me: string): OrderStep | null {
  const seller = sameAddress(order.seller, me);
  const buyer = sameAddress(order.buyer, me);
  if (order.state === "CREATED" && seller) return "accept";
  if (order.state === "ACCEPTED" && seller) return "ship";
  if (order.state === "SHIPPED" && buyer) return "deliver";
  if (order.state === "DELIVERED" && buyer && order.payment_terms === "open_account") return "pay";
  return null;
}

/** The SHA-256 of a file as the API takes a document hash: 0x and 64 hex digits (the file itself stays here). */
export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
  return `0x${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
