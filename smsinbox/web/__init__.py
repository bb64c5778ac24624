"""The faces: everything a person or another program talks to — pages, the REST API, the inbox's
websocket, the media route and Django admin. The top layer: it imports the domain packages
(``conversations``, ``messaging``) and the core (``smsinbox``), and nothing imports it but the
project's wiring (``smsinbox.urls``, ``smsinbox.asgi``). Twilio's webhooks are the exception the
design card makes: they live with the Twilio adapter in ``messaging/twilio/``.
"""
