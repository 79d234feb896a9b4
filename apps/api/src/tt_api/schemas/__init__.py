"""Request and response bodies: camelCase msgspec structs, separate from domain types."""
