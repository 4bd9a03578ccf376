"""Data-sharing hub: providers, agreements, access control, ledger, cross-checks (Ningxia's platform)."""
