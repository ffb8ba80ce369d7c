"""The audit trail: the hash chain written with every change, and its reading."""
