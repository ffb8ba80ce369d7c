"""Public pages: policies, programs with the self-check, notices and objections."""
