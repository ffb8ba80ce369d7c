"""Rules as code for the policy catalogue (政策规则): catalogue loader, parameters over
time, policy status, eligibility rules and amounts, roster checks, change preview.

Plain values in, plain values out: no Flask, no database models (a test keeps it so).
Import the submodules: ``catalogue``, ``parameters``, ``status``, ``rules``, ``evaluate``,
``roster``, ``preview``, ``identity``.
"""
