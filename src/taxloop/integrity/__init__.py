"""Integrity risk control (issue 6): event-log import, integrity scan and scoring, cases bridge, real-time guard."""
