"""Files staff attach in the composer, sent as MMS media (README "Attachments").

An upload (``attachment_upload``) is stored through Django's storage API (``STORAGES["attachments"]``) and
belongs to one conversation of one organization until ``message_send(attachment_ids=…)`` makes it media of a
message. Twilio is handed a public URL ``/m/<token>/<name>``: the token is 32 random bytes, and the URL serves the
file only from the send until Twilio's first fetch plus ``FETCH_GRACE`` (at most ``SENT_LIFETIME`` after the
send); afterwards it answers 410 Gone. Staff see the file through the authenticated ``/media/…`` route.
"""
