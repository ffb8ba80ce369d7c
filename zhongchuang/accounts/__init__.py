"""Accounts: registration, login and tokens, members, passwords, profiles, identity numbers."""
