"""notifiers adapters (filled by later issues)."""
