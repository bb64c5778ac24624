"""What makes the inbox an installable web app: the manifest and the service worker, served from the site's root
(a worker's scope is the folder it is served from, so ``/sw.js`` covers every page)."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

APP_NAME = "smsinbox"
THEME_COLOR = "#1f5eff"  # the icon's blue (static/img/favicon.svg)


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: name, start page, colours and our own icons (``static/img``)."""
    data = {
        "name": "smsinbox — shared SMS inbox",
        "short_name": APP_NAME,
        "id": "/",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _worker_source() -> bytes:
    path = finders.find("js/sw.js")
    if path:
        with open(path, "rb") as source:
            return source.read()
    with staticfiles_storage.open("js/sw.js") as source:  # collected (production)
        return source.read()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """``static/js/sw.js`` at ``/sw.js``; never cached long, so a new version is picked up on the next visit."""
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
