"""The input data contract (version 1) as data, and its reader."""
