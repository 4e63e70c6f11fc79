"""What every provider that calls a model's HTTP API directly shares: its settings, one
connection pool per run, SSE streaming under the watchdogs, retries of refused requests
and the sorting of HTTP failures into kinds. ``anthropic_api`` and ``openai_api`` add
their wire formats on top."""
