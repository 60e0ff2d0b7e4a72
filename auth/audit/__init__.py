"""The audit chain: its format, checkpoints and keys (the store is the consent service's)."""
