"""Building blocks of the SSH testbed: one module per concern (see docs/testbed.md)."""
