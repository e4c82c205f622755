"""Bank payment undertakings (URBPO 750) on open-account orders, their settlement and receivables discounting."""
