"""Use cases: plain async functions that take their ports as arguments."""
