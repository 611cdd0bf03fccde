"""A third-party plugin as a user would write it: one expert and one catalog entry."""
