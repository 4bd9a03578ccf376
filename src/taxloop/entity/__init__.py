"""Entity resolution: one taxpayer, one record (一户一档)."""
