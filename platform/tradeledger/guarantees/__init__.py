"""Demand guarantees, counter-guarantees (URDG 758) and standby credits (ISP98): the read model of the
Undertakings contract."""
