"""Synthetic city: a complete contract-v1 data set with planted, labelled schemes (``taxloop synth``)."""
