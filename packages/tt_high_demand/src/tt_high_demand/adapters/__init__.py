"""Adapters of tt_high_demand: the Redis waiting-room store."""
