"""Learned risk models and the closed loop of learning (issue 7)."""
