"""A fake ``claude`` for the cluster tests: it records on which node it ran, sleeps as its
prompt asks (``sleep=1.5``), and answers in Claude Code's stream-json (as a priced model reporting no cost when the prompt
says ``nocost``).

It dies with its node: when the Ray worker that started it goes away (its parent
changes), it exits without answering, as a CLI on a machine that died would.
Every start, every answer and every SIGTERM (smol-wf stopping it) is a line of
``$FAKE_AGENT_LOG``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCRIPT = """\
#!{python}
import json, os, re, signal, sys, time, uuid

prompt = sys.stdin.read()
parent = os.getppid()

def note(event):
    line = json.dumps({{"event": event, "prompt": prompt, "node": os.environ.get("SMOLWF_TEST_NODE"),
                       "pid": os.getpid()}})
    with open(os.environ["FAKE_AGENT_LOG"], "a") as log:
        log.write(line + "\\n")

def stopped(signum, frame):
    note("stopped")
    sys.exit(143)

signal.signal(signal.SIGTERM, stopped)
note("start")
session = str(uuid.uuid5(uuid.NAMESPACE_URL, prompt))
model = "claude-sonnet-4-5" if "nocost" in prompt else "fake-model"
print(json.dumps({{"type": "system", "subtype": "init", "session_id": session, "cwd": os.getcwd(),
      "model": model}}), flush=True)
wanted = re.search(r"sleep=([0-9.]+)", prompt)
deadline = time.monotonic() + (float(wanted.group(1)) if wanted else 0.0)
while time.monotonic() < deadline:
    if os.getppid() != parent:
        sys.exit(1)
    time.sleep(0.05)
answer = "ECHO: " + prompt
usage = {{"input_tokens": len(prompt), "output_tokens": len(answer) // 4 + 1,
          "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}
print(json.dumps({{"type": "assistant", "session_id": session, "message": {{"model": model,
      "content": [{{"type": "text", "text": answer}}], "usage": usage}}}}), flush=True)
note("done")
result = {{"type": "result", "subtype": "success", "is_error": False, "result": answer,
          "session_id": session, "usage": usage, "num_turns": 1}}
if "nocost" not in prompt:
    result["total_cost_usd"] = 0.0
print(json.dumps(result), flush=True)
"""


def write_fake_claude(directory: Path) -> Path:
    path = directory / "claude"
    path.write_text(SCRIPT.format(python=sys.executable), encoding="utf-8")
    path.chmod(0o755)
    return path


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
