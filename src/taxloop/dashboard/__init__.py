"""Supervision figures computed from the workflow store (bureau -> region -> unit -> officer)."""
