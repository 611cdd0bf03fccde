"""The installed version of the zoo core (kept in one place for config.json and the Hub client)."""

__version__ = "0.1.0"
