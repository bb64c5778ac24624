"""The production urls plus ``/bench/bare``: the reference view of the throughput ratios."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from smsinbox.urls import urlpatterns as production_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *production_urlpatterns]
