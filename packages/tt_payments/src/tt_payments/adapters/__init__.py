"""Infrastructure behind the service layer's ports: PostgreSQL, Redis, embedded servers."""
