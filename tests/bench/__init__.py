"""``make bench``: benchmarks whose headline figures are ratios measured in the same run (see run.py)."""
