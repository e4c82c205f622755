"""Letters of credit: the off-chain terms model and its canonical hash (`terms`)."""
