"""审批流程 — workflow definitions, guards, budget, working days, audit chain, letters.

Framework-free: no Flask, no SQLAlchemy models (``tests/unit/test_workflow_purity.py``).
The service layer (``zhongchuang.cases.engine``) loads rows, asks :mod:`.guards`, moves
the state with :mod:`.machine`, applies :mod:`.budget`, writes the :mod:`.audit` event and
commits.
"""
