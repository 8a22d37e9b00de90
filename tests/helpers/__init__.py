"""Test-only helpers (as in lightning-hydra-template): callbacks a test adds to a run with a Hydra override."""
