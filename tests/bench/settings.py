"""Settings of the servers under benchmark: the production settings, plus three bench-only changes.

1. ``ROOT_URLCONF`` adds ``/bench/bare`` (a bare Django view returning 200: the framework's
   ceiling, served by the same server through the same middleware) to the production urls.
2. A first middleware counts the SQL statements of each request into ``X-Bench-Queries``
   (a wrapper call per statement; negligible, and present for both sides of every ratio).
3. ``BENCH_NO_POOL=1`` removes Django's connection pool (a new connection per request, as
   ``CONN_MAX_AGE=0`` without a pool does), for the pool-vs-no-pool comparison.

Static files use the plain storage so ``DEBUG=0`` needs no ``collectstatic`` manifest.
Production code is untouched: the servers get ``DJANGO_SETTINGS_MODULE=tests.bench.settings``.
"""

import os

from smsinbox.settings import *  # noqa: F403
from smsinbox.settings import DATABASES, MIDDLEWARE, STORAGES

ROOT_URLCONF = "tests.bench.urls"
MIDDLEWARE = ["tests.bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

if os.environ.get("BENCH_NO_POOL") == "1":
    DATABASES["default"]["OPTIONS"].pop("pool", None)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
