"""Invoice network analysis: features, cycles, roles and gangs."""
