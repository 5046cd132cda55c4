"""Business logic: one function per use case, called by the thin handlers under functions/."""
