"""Business hours and auto-replies: an organization's weekly opening hours and holidays in its time zone
(``smsinbox.Organization.time_zone``), the after-hours auto-reply and the HELP reply.

- ``models``: ``AutoReplySettings`` (one per organization), ``OpeningInterval``, ``Holiday``;
- ``rules``: the pure question "is it open at this instant?" (no database, the clock passed in);
- ``services``: ``business_hours_update``, ``holiday_add``, ``holiday_remove`` (admins only);
- ``selectors``: ``business_hours_get`` (what the rules and the settings page read).

The auto-reply itself is sent by ``messaging.services.autoreply.auto_reply_maybe_send``.
"""
