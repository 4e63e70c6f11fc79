#!/usr/bin/env python3
"""A fake ``claude`` that counts its invocations: one line per start in $COUNTING_CALLS.

Reads the prompt on stdin and prints a claude-shaped stream-json run (``system/init`` in
the permission mode it was asked for, then a successful ``result``) whose answer names
the invocation number, so a test sees both how often a provider process was started and
which start made an answer.
"""

import fcntl
import json
import os
import sys
from pathlib import Path


def main() -> None:
    argv = sys.argv[1:]
    prompt = sys.stdin.read()
    with Path(os.environ["COUNTING_CALLS"]).open("a+", encoding="utf-8") as calls:
        fcntl.flock(calls, fcntl.LOCK_EX)
        calls.write(json.dumps({"prompt": prompt, "argv": argv}) + "\n")
        calls.flush()
        calls.seek(0)
        number = len(calls.readlines())
    mode = argv[argv.index("--permission-mode") + 1] if "--permission-mode" in argv else "default"
    session = f"session-{number}"
    answer = f"answer {number}: {prompt}"
    result = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "result": answer,
        "session_id": session,
        "usage": {"input_tokens": 10, "output_tokens": 5},
        "total_cost_usd": 0.01,
    }
    if "--json-schema" in argv:
        result["structured_output"] = {"answer": answer}
    init = {"type": "system", "subtype": "init", "session_id": session, "model": "fake-sonnet"}
    init["permissionMode"] = mode
    print(json.dumps(init))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
