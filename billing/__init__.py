"""billing adapters (filled by later issues)."""
