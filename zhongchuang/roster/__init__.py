"""The roster (花名册) of a social-insurance subsidy claim."""
