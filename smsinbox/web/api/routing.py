"""One path, one API class per method; and a JSON 404 for every other path under /api/.

Why ``method_route``: the API keeps REST paths (``GET``/``POST /api/contacts``, ``GET``/``PATCH``/
``DELETE /api/contacts/{id}``), as the seed's contract has them, while each operation stays one
small API class with its own input and output serializers. HackSoft's styleguide would give each
operation its own URL instead (``/contacts/create``); that would break the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.views import APIView


def method_route(**views: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve one path with one API class per HTTP method.

    ``method_route(get=ContactListApi.as_view(), post=ContactCreateApi.as_view())``. A method no
    class answers (and ``OPTIONS``) goes to the first class, so it is answered as DRF answers it
    (``405`` as ``{"error": …}``), with an ``Allow`` header naming every method of the path.
    ``expand_method_routes`` shows each class to drf-spectacular as its own operation.
    """
    handlers = {method.upper(): view for method, view in views.items()}
    first = next(iter(handlers.values()))
    allow = ", ".join([*handlers, *(["HEAD"] if "GET" in handlers else []), "OPTIONS"])

    @csrf_exempt  # like every APIView: token calls carry no CSRF token; session calls are checked by DRF
    def route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = "GET" if request.method == "HEAD" else request.method
        view = handlers.get(method or "")
        if view is not None:
            return view(request, *args, **kwargs)
        response = first(request, *args, **kwargs)
        response["Allow"] = allow
        return response

    # What schema generators look for on a view: an APIView class answering these methods.
    route.cls = type("MethodRoute", (APIView,), {method.lower(): _never_called for method in handlers})  # type: ignore[attr-defined]
    route.initkwargs = {}  # type: ignore[attr-defined]
    route.views_by_method = handlers  # type: ignore[attr-defined]
    return route


def _never_called(*args: Any, **kwargs: Any) -> HttpResponse:  # pragma: no cover - method_route dispatches first
    raise AssertionError("method_route dispatches to the API class of each method")


def expand_method_routes(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """drf-spectacular preprocessing hook: document each method of a ``method_route`` by its own class."""
    expanded = []
    for path, path_regex, method, callback in endpoints:
        views = getattr(callback, "views_by_method", None)
        expanded.append((path, path_regex, method, views[method] if views else callback))
    return expanded


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/: the JSON 404 of an unknown path (DRF's ``NotFound``), not an HTML page."""
    return JsonResponse({"error": str(exceptions.NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)
