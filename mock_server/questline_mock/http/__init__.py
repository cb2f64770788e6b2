"""The HTTP layer: one blueprint per spec tag; handlers parse, call the backend, serialise."""
