import { describe as group, expect, it } from "vitest";
import { describe, fieldSentence } from "./problems";

group("fieldSentence", () => {
  it("turns pydantic's wording into sentences for the field", () => {
    expect(fieldSentence("Field required")).toBe("Required.");
    expect(fieldSentence("List should have at least 1 item after validation, not 0")).toBe("Name at least one item.");
    expect(fieldSentence("List should have at most 32 items after validation, not 40")).toBe("Name at most 32 items.");
    expect(fieldSentence("String should have at least 1 character")).toBe("Must not be empty.");
    expect(fieldSentence("String should have at least 12 characters")).toBe("Must be at least 12 characters long.");
    expect(fieldSentence("String should match pattern '^0x[0-9a-fA-F]{40}$'")).toBe("Must be an address: 0x followed by 40 hexadecimal digits.");
    expect(fieldSentence("String should match pattern '^[0-9]{6}$'")).toBe("Must be six digits.");
    expect(fieldSentence("String should match pattern '^[a-z]+$'")).toBe("Not in the expected form.");
    expect(fieldSentence("Input should be greater than or equal to 1")).toBe("Must be at least 1.");
    expect(fieldSentence("Input should be greater than 0")).toBe("Must be more than 0.");
    expect(fieldSentence("Input should be a valid integer, unable to parse string as an integer")).toBe("Must be a whole number.");
    expect(fieldSentence("Input should be 'hold_pending_waiver', 'returning' or 'per_previous_instructions'")).toBe(
      "Must be one of: hold pending waiver, returning, per previous instructions.",
    );
    expect(fieldSentence("Extra inputs are not permitted")).toBe("Not expected here.");
    expect(fieldSentence("Value error, the expiry is before the latest shipment")).toBe("The expiry is before the latest shipment.");
  });
  it("keeps the service's own messages, as sentences", () => {
    expect(fieldSentence("USD has 2 decimal places")).toBe("USD has 2 decimal places.");
  });
});

group("describe", () => {
  it("keys field sentences by the body field and sums them up without pydantic's text", () => {
    const d = describe({
      code: "validation_error",
      detail: "body.discrepancies: List should have at least 1 item after validation, not 0; body.totp_code: String should match pattern '^[0-9]{6}$'",
      errors: [
        { field: "body.discrepancies", message: "List should have at least 1 item after validation, not 0" },
        { field: "body.totp_code", message: "String should match pattern '^[0-9]{6}$'" },
      ],
    });
    expect(d.fields).toEqual({ discrepancies: "Name at least one item.", totp_code: "Must be six digits." });
    expect(d.message).toBe("Please correct these: Discrepancies: name at least one item; Totp code: must be six digits.");
    expect(d.message).not.toContain("should");
  });
  it("uses a domain problem's detail as its sentence", () => {
    expect(describe({ code: "login_failed", detail: "wrong member, username, password or second-factor code" }).message).toBe(
      "Wrong member, username, password or second-factor code.",
    );
    expect(describe(undefined).message).toBe("The request failed.");
  });
});
