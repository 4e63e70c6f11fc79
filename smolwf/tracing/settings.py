"""Whether a run is traced, and where to, from a flag and the standard environment."""

from __future__ import annotations

from collections.abc import Mapping

from smolwf.errors import UsageError
from smolwf.records import record

EXTRA_HINT = "pip install 'smolwf[otel]'"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
PROTOCOLS = ("http/protobuf", "grpc")


@record
class TraceSettings:
    """A traced run: the OTLP protocol; the exporter reads endpoint, headers, timeout and
    compression from the ``OTEL_EXPORTER_OTLP_*`` variables itself."""

    protocol: str = "http/protobuf"


def trace_settings(env: Mapping[str, str], *, flag: bool) -> TraceSettings | None:
    """Tracing as ``--otel`` and the environment ask for it, or None when off.

    An OTLP endpoint variable turns it on like the flag; ``OTEL_SDK_DISABLED=true`` or
    ``OTEL_TRACES_EXPORTER=none`` turn it off, as every OpenTelemetry SDK reads them.
    """
    wanted = flag or any(env.get(name) for name in ENDPOINT_VARIABLES)
    if not wanted or env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    if env.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "none":
        return None
    protocol = (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    if protocol not in PROTOCOLS:
        raise UsageError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL must be one of {', '.join(PROTOCOLS)}, got {protocol!r}"
        )
    return TraceSettings(protocol)
