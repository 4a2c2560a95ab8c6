"""Settings of the benchmark's gunicorn: the app's production settings, read from the
environment as in production (config/settings.py), with one benchmark-only change:
ROOT_URLCONF = bench.urls, which adds the trivial ceiling view (BENCH_CEILING=1). The
app is measured as shipped, its page cache (portal/pagecache.py) included.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
