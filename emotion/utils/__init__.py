"""Glue shared by the entry points."""
