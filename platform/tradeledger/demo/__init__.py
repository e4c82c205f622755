"""The demo consortium on a dev chain: three banks, a settlement agent, an auditor and two SME traders."""
