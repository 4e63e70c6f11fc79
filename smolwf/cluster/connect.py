"""Joining the Ray cluster before any call starts, and saying in one line why not.

``ray`` is an optional extra (``smolwf[ray]``); it is imported here and in the worker's
task only, so a local run never pays for it.
"""

from __future__ import annotations

import importlib
import logging
import signal
import socket
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from smolwf.cluster.settings import RAY_EXTRA_HINT
from smolwf.errors import ClusterError

PROBE_TIMEOUT_S = 5.0
"""How long the address may take to accept a connection before the run gives up."""


def import_ray() -> ModuleType:
    """The ``ray`` module, or a one-line error naming the extra that brings it."""
    try:  # through importlib: a ModuleType whether or not Ray's types are installed
        return importlib.import_module("ray")
    except ImportError:
        raise ClusterError(
            f"--executor ray needs Ray, which is not installed: {RAY_EXTRA_HINT}"
        ) from None


def connect(address: str | None, on_message: Callable[[str], None] | None) -> ModuleType:
    """Join the cluster at ``address`` (None: Ray's own rule); ``ClusterError`` if it
    cannot be reached. The caller's SIGTERM handler survives (Ray installs its own), and
    the cluster's messages go to ``on_message`` (None: nowhere), never to stdout."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    if address is not None:
        _probe(address)
    shown = address or "the default address (RAY_ADDRESS, else this machine's cluster)"
    term = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(
            address=address,
            namespace="smol-wf",
            log_to_driver=False,
            logging_level=logging.WARNING,
            include_dashboard=False if address is None else None,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ClusterError(f"cannot join the Ray cluster at {shown}: {detail}") from None
    finally:
        if term is not None:
            signal.signal(signal.SIGTERM, term)
    _divert_messages(on_message)
    return ray


def _divert_messages(on_message: Callable[[str], None] | None) -> None:
    """Ray prints the cluster's error messages ("Raylet is terminated…") on the driver's
    stdout, which holds the run's report or its events, and 2.60 has no switch for it:
    its printer is replaced (a module global, looked up at each message)."""
    from ray._private import worker

    def divert(data: dict[str, Any], ignore_prefix: bool) -> None:
        if on_message is not None:
            for line in data.get("lines", ()):
                on_message(f"ray: {line}")

    worker.print_to_stdstream = divert


def _probe(address: str) -> None:
    """A TCP connection to ``host:port``; other forms (``auto``, ``ray://``) go to Ray."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), PROBE_TIMEOUT_S):
            pass
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise ClusterError(
            f"cannot reach the Ray cluster at {address}: {reason.lower()}; start one with "
            "`ray start --head` or fix --ray-address / RAY_ADDRESS"
        ) from None


def offering_nodes(ray: ModuleType, amounts: Mapping[str, float]) -> int:
    """How many live nodes of the cluster could run a call that reserves ``amounts``."""
    wanted = {"CPU": 1.0, **amounts}
    count = 0
    for node in ray.nodes():
        have = node.get("Resources", {})
        if node.get("Alive") and all(have.get(k, 0.0) >= v for k, v in wanted.items() if v):
            count += 1
    return count


def shutdown(ray: ModuleType) -> None:
    """Leave the cluster: Ray cancels what this driver still had running there."""
    if ray.is_initialized():
        ray.shutdown()
