"""Files `ember new-project DIR` writes (this marker file itself is not copied)."""
