"""OpenTelemetry traces of runs: one trace per execution, built from the event stream.

Off by default and free when off: nothing here imports OpenTelemetry until a run asks
for traces (``--otel`` or the standard ``OTEL_EXPORTER_OTLP_*`` variables), and then
only with the ``otel`` extra installed (``pip install 'smolwf[otel]'``).
"""

from __future__ import annotations

from smolwf.tracing.settings import TraceSettings, trace_settings

__all__ = ["TraceSettings", "trace_settings"]
