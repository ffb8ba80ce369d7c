"""Administration: accounts and roles, corrections, the audit trail, the outbox,
batches, the catalogue."""
