"""Infrastructure adapters of tt_fraud (the only modules here that import redis)."""

from tt_fraud.adapters.redis_velocity import RedisVelocityCounter

__all__ = ["RedisVelocityCounter"]
