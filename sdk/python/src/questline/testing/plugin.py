"""The pytest plugin registered by the ``pytest11`` entry point ``questline``."""
