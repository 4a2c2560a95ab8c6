"""The city-scale benchmark (issue 6): `make bench` runs bench/run.py.

Nothing in here is imported by the app. bench/settings.py is used only by the
benchmark's own gunicorn, against the dedicated database `manyi_bench`.
"""
