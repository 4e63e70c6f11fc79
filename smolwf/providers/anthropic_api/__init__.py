"""The ``anthropic`` provider: Anthropic's Messages API over httpx, streamed."""
