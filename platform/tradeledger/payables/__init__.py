"""Payables finance (buyer-led supply-chain finance): the buyer approves a payable, a bank pays the supplier early
at a discount, the buyer pays the bank at maturity."""
