"""One fake agent CLI for every provider's adapter tests.

It records how it was called (argv, stdin, the environment variables a test names), then
acts out a mode: ``replay`` a transcript and exit; ``gate``, print the first line and the
rest only once the provider forwarded it (proof that events are forwarded live); ``hang``,
start a ``sleep`` child and print one line; ``linger``, replay and then never exit;
``crash``, print a log line and an error on stderr. A provider whose CLI leaves files behind (codex's session rollout) adds ``hooks``:
Python defining ``extra_record()``, ``before_output()`` and ``after_output()``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smolwf.jsontypes import JSON
from smolwf.providers.base import ProviderSettings

SCRIPT = """\
#!{python}
import json, os, subprocess, sys, time

def extra_record():
    return {{}}

def before_output():
    pass

def after_output():
    pass

{hooks}
names = [name for name in os.environ.get("FAKE_CLI_ENV_NAMES", "").split(",") if name]
record = {{"argv": sys.argv, "stdin": sys.stdin.read(), "pid": os.getpid()}}
record["env"] = {{name: os.environ.get(name) for name in names}}
record.update(extra_record())
with open(os.environ["FAKE_CLI_RECORD"], "w") as out:
    json.dump(record, out)
mode = os.environ.get("FAKE_CLI_MODE", "replay")
stream = os.environ.get("FAKE_CLI_STREAM")
lines = open(stream).read().splitlines() if stream else []
before_output()
if mode == "crash":
    print("not json", flush=True)
    name = os.path.basename(sys.argv[0])
    sys.stderr.write(os.environ.get("FAKE_CLI_STDERR", name + ": something broke\\nat line 3\\n"))
    sys.exit(int(os.environ.get("FAKE_CLI_EXIT", "3")))
if mode == "hang":
    child = subprocess.Popen(["sleep", "30"])
    open(os.environ["FAKE_CLI_CHILD"], "w").write(str(child.pid))
    after_output()
    print(lines[0], flush=True)
    child.wait()
    sys.exit(0)
if mode == "gate":
    print(lines[0], flush=True)
    gate, deadline = os.environ["FAKE_CLI_GATE"], time.monotonic() + 20
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            sys.exit("the first event was not forwarded live")
        time.sleep(0.01)
    lines = lines[1:]
for line in lines:
    if line.strip():
        print(line, flush=True)
after_output()
if mode == "linger":  # the whole answer is out, and the CLI never exits
    time.sleep(300)
sys.exit(int(os.environ.get("FAKE_CLI_EXIT", "0")))
"""


class FakeCli:
    """A fake ``command`` in ``directory``; ``settings()`` points a provider at it."""

    def __init__(self, directory: Path, command: str, hooks: str = "") -> None:
        self.dir = directory
        self.path = directory / command
        self.path.write_text(SCRIPT.format(python=sys.executable, hooks=hooks), encoding="utf-8")
        self.path.chmod(0o755)
        self.record = directory / "record.json"
        self.gate = directory / "gate"
        self.child = directory / "child.pid"

    def settings(
        self,
        provider: str,
        mode: str = "replay",
        stream: Path | Sequence[JSON] | None = None,
        *,
        record_env: Sequence[str] = (),
        **env: str,
    ) -> ProviderSettings:
        """Settings that run this fake for ``provider`` in ``mode``, printing ``stream`` (a
        transcript file, or events) and recording the variables named in ``record_env``."""
        full = {
            "FAKE_CLI_RECORD": str(self.record),
            "FAKE_CLI_MODE": mode,
            "FAKE_CLI_GATE": str(self.gate),
            "FAKE_CLI_CHILD": str(self.child),
            "FAKE_CLI_ENV_NAMES": ",".join(record_env),
            **env,
        }
        if isinstance(stream, Path):
            full["FAKE_CLI_STREAM"] = str(stream)
        elif stream is not None:
            path = self.dir / "stream.jsonl"
            path.write_text("".join(json.dumps(e) + "\n" for e in stream), encoding="utf-8")
            full["FAKE_CLI_STREAM"] = str(path)
        return ProviderSettings(binaries={provider: str(self.path)}, env=full)

    def recorded(self) -> dict[str, Any]:
        """What the fake was called with: ``argv`` (its own path first), ``stdin``,
        ``env`` and whatever the hooks' ``extra_record()`` added."""
        data: dict[str, Any] = json.loads(self.record.read_text(encoding="utf-8"))
        return data
