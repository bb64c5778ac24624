"""Security probes: every route refused to strangers, CSRF wherever a session writes, only signed webhooks,
websockets behind the Origin check and the session, throttled logins, no secret in the logs.

The route probes (test_url_walk.py, test_csrf.py) walk EVERY URL pattern of the project
(``django.urls.get_resolver``, recursively, admin included: routes.py) and fill its path parameters with
organization A's ids. A meta-test fails when a pattern is added that routes.py does not classify (or an
admin model whose organization-A object is unknown), so a new route cannot skip the probes. The Twilio
webhooks are probed separately (test_webhook_forgery.py: their signature is their authentication). The
REST API's own isolation table is tests/test_api_isolation.py; here it is probed again with the same user
of organization B as every other route, and for CSRF.

Shared: world.py (the data and snapshots), conftest.py (its fixtures), routes.py (the route table).
"""
