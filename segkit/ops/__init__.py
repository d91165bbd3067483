"""Primitive ops: Python blocks with exact shape rules, one file per family."""
