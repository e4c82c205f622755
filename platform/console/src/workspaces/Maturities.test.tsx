import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Api, Schemas } from "../api/client";
import type { MaturityCredit } from "../lib/maturity";
import { SessionContext, type Session } from "../session";
import { DeferredUndertakings } from "./Maturities";

const issuer = "0xB000000000000000000000000000000000000001";
const nominated = "0xB000000000000000000000000000000000000002";
const exporter = "0xA000000000000000000000000000000000000003";
const DAY_MS = 86_400_000;

function render(lcs: MaturityCredit[], me: string): string {
  const session: Session = {
    api: {} as Api, // nothing is clicked in a static render
    me: { address: me } as Schemas["MemberView"],
    user: {} as Schemas["UserView"],
    refresh: 0,
    bump: () => undefined,
    members: new Map(),
  };
  return renderToStaticMarkup(
    <SessionContext.Provider value={session}>
      <DeferredUndertakings lcs={lcs} />
    </SessionContext.Provider>,
  );
}

const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
const credit = (maturity: string): MaturityCredit => ({
  lc_id: "7",
  currency: "USD",
  issuing_bank: issuer,
  beneficiary: exporter,
  presentations: [{ presentation_id: "2", deferred_payment: { obligor: nominated, amount: "250000", maturity_date: maturity, state: "INCURRED" } }],
});

describe("DeferredUndertakings", () => {
  it("gives each party the button its step needs once the undertaking is due, named after the drawing", () => {
    const lapsed = [credit(day(-3))];
    expect(render(lapsed, nominated)).toContain(">Pay at maturity 7/2</button>");
    expect(render(lapsed, issuer)).toContain(">Honour the default 7/2</button>");
    expect(render(lapsed, issuer)).not.toContain("Pay at maturity");
    expect(render(lapsed, issuer)).toContain('<tr data-deferred="7/2">');
  });
  it("shows when a pending undertaking is payable, with nothing to click", () => {
    const html = render([credit(day(10))], nominated);
    expect(html).toContain(`payable on ${day(10)}`);
    expect(html).not.toContain("<button");
  });
  it("says so when there is none", () => {
    expect(render([], issuer)).toContain("No deferred payment or acceptance.");
  });
});
