"""``make chaos``: fault-injection runs against real processes, each scenario counting lost and duplicated messages.

Modules: ``run`` (entry point, scenario list), ``report`` (``docs/reliability.md``), ``sizes``, ``record``
(a scenario's outcome); ``services`` (the run's own throwaway PostgreSQL and Redis), ``procs`` (process groups,
uvicorn, task workers, the emulator), ``stack`` (environment, database setup, the running system),
``benchlib`` (what is reused from ``make bench``); ``load`` (Twilio-like webhook redelivery, API sends),
``checks`` (what the database and the emulator hold), ``outbound``, ``wsclient`` (an inbox websocket client
that reconnects and resyncs like ``static/js/inbox.js``); one module per scenario: ``postgres_outage``,
``redis_outage``, ``twilio_faults``, ``worker_kills``, ``storm_hook`` (+ ``storm_child``).
"""
