"""The REST API under /api/: one class per operation (``conversations``, ``messages``), routed by ``urls``.

What every API class shares, one concern a module:

- ``casing``: camelCase on the wire (the renderer and parser, ``to_camel``/``to_snake``);
- ``errors``: ``{"error": …}`` for every failure, and ``found_or_404``, the one "not found";
- ``organizations``: the organization a call acts for (``organizationId``, ``X-Organization``);
- ``fields``: strict JSON fields, and query strings read as plain values;
- ``routing``: one path, one class per method (``method_route``); a JSON 404 for unknown paths;
- ``pagination``: signed cursors and the page envelope;
- ``schema``: the OpenAPI schema's names (drf-spectacular).
"""
