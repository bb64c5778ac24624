"""A local Twilio: the REST API the inbox calls and the signed webhooks Twilio sends (never for production).

REST (HTTP Basic auth, account SID : auth token), under ``/2010-04-01/Accounts/{AccountSid}``:
``Messages.json`` (create, list with ``To``/``From``/``DateSent`` filters and paging),
``Messages/{Sid}.json`` (fetch; cancel with ``Status=canceled``; redact with ``Body=``; delete),
``Messages/{Sid}/Media[.json]`` and ``Media/{ME…}`` (a 307 to the bytes at the unauthenticated
``/_cdn/…``, with the medium's own content type), ``IncomingPhoneNumbers``
(list, create, fetch, update ``SmsUrl``/``SmsMethod``/``StatusCallback``, delete). Errors are
Twilio's JSON (``code``, ``message``, ``more_info``, ``status``) with Twilio's codes, including the
magic test numbers. Emulator-only magic: To ``+15005550010`` ends ``undelivered`` (30003),
``+15005550011`` ends ``failed`` (30008).
Lookup v2 (``/v2/PhoneNumbers/{E164}?Fields=line_type_intelligence``, same auth) answers line types, with its
own magic numbers (:mod:`.lookups`: ``+15005550020`` a landline, ``…023`` a 503).

Webhooks: status callbacks (``sending``, ``sent``, ``delivered`` …) ``callback_delay`` apart (out of
order for an ``out_of_order`` share of messages, as Twilio does not guarantee their order), and
incoming messages via :meth:`TwilioEmulator.send_inbound`, signed like Twilio's over the exact
URL and all fields, with ``X-Home-Region`` and geo fields, one 15 s budget a request. A number in a
Messaging Service (``add_number(messaging_service_sid=…, advanced_opt_out=…)``) adds
``MessagingServiceSid`` and, with Advanced Opt-Out, ``OptOutType`` to its inbound webhooks.
Local control endpoints live under ``/_emulator/`` (see :mod:`.control`).

It imports nothing of the product (``tests/test_layers.py`` checks): Twilio's rules (encoding, segment
splitting, the 1,600-character limit, opt-out keywords) are its own copy in :mod:`.rules`, written from
Twilio's documentation, so that it can disagree with the product's.

Point the SDK at it::

    client = Client(account_sid, auth_token)
    client.api.base_url = emulator.base_url
"""

from .emulator import EmulatorError, TwilioEmulator
from .state import FAILED_TO, UNDELIVERED_TO, MediaFile

__all__ = ["FAILED_TO", "UNDELIVERED_TO", "EmulatorError", "MediaFile", "TwilioEmulator"]
