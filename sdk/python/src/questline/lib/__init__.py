"""Hand-written helpers mixed into generated resources. The generator never writes here."""
