"""Who is calling: API keys bound to members, and the custodial keys this instance hosts."""
