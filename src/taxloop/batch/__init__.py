"""Low-risk high-volume matters handled by the system in batches, with zero human touch (Shenzhen's 24 kinds)."""
