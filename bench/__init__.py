"""Benchmarks (issue 11): run by hand or by ``make bench``, never inside the test suite.

``python -m bench.generate``   build a database of N generated cases (kept for reuse)
``python -m bench.latency``    medians and p95 of pages, API, writes, audit verification,
                               each read paired with the bare baseline (bench/baseline.py)
``python -m bench.throughput`` gunicorn with 2 workers under wrk: requests/s and p95
``python -m bench.run``        the quick SQLite suite; ``--full`` the 1,000,000-case suite
"""
