"""Text to tokens, per language. Knows nothing of search/ or web/."""
