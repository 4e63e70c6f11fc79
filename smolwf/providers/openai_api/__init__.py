"""The ``openai`` provider: OpenAI's Responses API, or Chat Completions for
OpenAI-compatible servers (vLLM, Ollama, LM Studio, OpenRouter…), over httpx, streamed."""
