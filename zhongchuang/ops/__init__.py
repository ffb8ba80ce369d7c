"""Operations: backup and restore, demo data, background jobs, health probes, the ops CLI."""
