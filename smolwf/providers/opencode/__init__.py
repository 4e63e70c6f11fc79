"""The ``opencode`` provider, in one module per concern.

- ``provider``: ``OpenCodeProvider``, which picks a transport for each call;
- ``cli``: the CLI transport, ``opencode run --format json``, for calls without a schema;
- ``server``: the server transport, a private ``opencode serve`` and its HTTP API, for
  calls with a schema (``opencode run`` cannot take one); ``server_api``: what it sends
  and reads over HTTP;
- ``wire``: what both transports read alike (error objects, token reports);
- ``permissions``: opencode's rules for each permission level, and the refusals read back.

Nothing is imported here, so loading one module does not load the HTTP client.
"""
