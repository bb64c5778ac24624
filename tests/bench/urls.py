"""The production urls plus the bench's reference views (no database work in any of them).

* ``/bench/bare``: a bare Django view, the framework's ceiling (the denominator of the ratios);
* ``/bench/django-signed``: a Django view doing the webhooks' checks the way they were made before
  they were DRF views (``require_POST``, the size limit, ``request_is_signed`` over
  ``request.POST``, the database deadline around nothing) and answering empty TwiML;
* ``/bench/drf-signed``: the webhooks' own DRF base class (``FormParser``, the signature
  authentication and permission, ``TwimlRenderer``, the failure policy, the deadline) storing
  nothing. Against ``/bench/django-signed``: the cost of the DRF machinery on the hot path.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.request import Request

from messaging.twilio.drf import EMPTY_TWIML
from messaging.twilio.signatures import request_is_signed
from messaging.twilio.webhooks import MAX_BODY_BYTES, TwilioWebhookView
from smsinbox.deadline import database_deadline
from smsinbox.parsing import ascii_int
from smsinbox.urls import urlpatterns as production_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def django_signed(request: HttpRequest) -> HttpResponse:
    size = ascii_int(request.META.get("CONTENT_LENGTH") or "0")
    if size is None or size > MAX_BODY_BYTES:
        return HttpResponse("Request body too large.", status=413, content_type="text/plain")
    if not request_is_signed(request):
        return HttpResponse("Invalid Twilio signature.", status=403, content_type="text/plain")
    with database_deadline(settings.WEBHOOK_DATABASE_DEADLINE_SECONDS):
        pass
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


class DrfSigned(TwilioWebhookView):
    def receive(self, request: Request, fields: Any) -> None:
        pass


urlpatterns = [
    path("bench/bare", bare),
    path("bench/django-signed", django_signed),
    path("bench/drf-signed", DrfSigned.as_view()),
    *production_urlpatterns,
]
