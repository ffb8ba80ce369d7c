"""The policy catalogue: loading it, reading it, batches and budgets, the policy CLI."""
