"""Scheduled jobs: the job table (table.py), the thin job functions (tasks.py), the runner that runs them
in exactly one process (runner.py, lock.py) and the record of every run (runs.py)."""
