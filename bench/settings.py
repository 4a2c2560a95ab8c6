"""Settings of the benchmark's gunicorn: the app's production settings, read from the
environment as in production (config/settings.py), with two benchmark-only changes:

* ROOT_URLCONF = bench.urls, which adds the trivial ceiling view (BENCH_CEILING=1);
* with BENCH_PAGE_CACHE=1 only, the prototype server-side page cache for public
  pages (bench/pagecache.py), to measure the design proposed in docs/benchmarks.md.
"""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE, env

ROOT_URLCONF = "bench.urls"

if env.bool("BENCH_PAGE_CACHE", default=False):
    MIDDLEWARE = list(MIDDLEWARE)
    # After LocaleMiddleware, so that the language of the request is known.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware") + 1,
        "bench.pagecache.PublicPageCacheMiddleware",
    )
