"""The opencode provider's server transport (structured output): parsing the real server
API capture, and a full call against a fake ``opencode serve``."""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import PermissionLevel, Refusal
from smolwf.providers.base import AgentRequest, ProviderSettings
from smolwf.providers.opencode.permissions import (
    collect_refusals,
    level_rules,
    opencode_dirs,
    permission_config,
)
from smolwf.providers.opencode.provider import OpenCodeProvider
from smolwf.providers.opencode.server_api import (
    NO_STRUCTURED,
    assistant_infos,
    bus_tool_parts,
    message_body,
    parse_response,
    session_body,
    sse_data,
    structured_value,
)
from smolwf.usage import Usage
from tests.process_checks import exits_promptly

TRANSCRIPTS = Path(__file__).parent / "transcripts" / "opencode"
RESPONSE_FILE = TRANSCRIPTS / "structured-serve-api.json"
SSE_FILE = TRANSCRIPTS / "structured-serve-api.events.sse"
REFUSED_BUS_FILE = TRANSCRIPTS / "structured-serve-refused.events.jsonl"
SESSION_ID = "ses_dff005557ffetp13hcUurQC6Tz"
SCHEMA: JSONObject = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
}
ANSWER = {"answer": "ECHO: Give me the answer", "confidence": 42.5}


def _response() -> JSONObject:
    value = json.loads(RESPONSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def _bus_events() -> list[JSONObject]:
    lines = SSE_FILE.read_text(encoding="utf-8").splitlines()
    return [event for event in map(sse_data, lines) if event is not None]


def _request(tmp_path: Path, **kw: Any) -> AgentRequest:
    return AgentRequest(
        prompt="Give me the answer",
        cwd=tmp_path,
        step_id="s1",
        has_schema=True,
        schema=SCHEMA,
        **kw,
    )


# --- parsing the real capture -----------------------------------------------------------


def test_structured_capture_answers_with_info_structured_and_message_usage() -> None:
    session: JSON = {"id": SESSION_ID}
    response = _response()
    result = parse_response(session, response, [], None)
    assert result.output == ANSWER
    assert result.session_id == SESSION_ID
    assert result.model == "fakellm/fake-model"  # info.providerID / info.modelID
    # info.tokens {total 2525, input 2510, output 15, reasoning 0, cache 0/0}, cost 0.007755.
    assert result.usage == Usage(
        input_tokens=2510, output_tokens=15, total_tokens=2525, cost_usd=0.007755
    )
    assert result.raw == [session, response]


def test_structured_value_falls_back_to_the_structured_output_tool_part() -> None:
    response = _response()
    info = response["info"]
    assert isinstance(info, dict)
    del info["structured"]
    assert structured_value(response) == (True, ANSWER)


def test_response_without_a_structured_value_is_invalid_output() -> None:
    response: JSON = {"info": {"role": "assistant", "tokens": {"input": 1, "output": 1}}}
    with pytest.raises(ProviderError) as caught:
        parse_response({"id": "ses_1"}, response, [], None, ["external_directory /tmp/*"])
    assert caught.value.kind is FailureKind.INVALID_OUTPUT
    assert str(caught.value) == (
        f"{NO_STRUCTURED} (a permission request was refused: external_directory /tmp/*)"
    )
    assert caught.value.session_id == "ses_1"
    assert caught.value.usage == Usage(input_tokens=1, output_tokens=1, total_tokens=None)


def test_message_error_is_classified_like_the_cli_error() -> None:
    error: JSON = {"name": "APIError", "data": {"message": "fakellm: nope", "statusCode": 401}}
    with pytest.raises(ProviderError) as caught:
        parse_response({"id": "ses_1"}, {"info": {"error": error}}, [], None)
    assert caught.value.kind is FailureKind.AUTH
    assert str(caught.value) == "OpenCode provider error (APIError, HTTP 401): fakellm: nope"


def test_usage_sums_every_assistant_message_of_the_session() -> None:
    # The bus's last message.updated of the assistant message is what GET
    # /session/{id}/message lists; two calls of 2510 + 2510 input, 15 + 15 output.
    infos = [e["properties"]["info"] for e in _bus_events() if e["type"] == "message.updated"]  # type: ignore[index,call-overload]
    listed: JSON = [{"info": infos[0]}, {"info": infos[-1]}, {"info": infos[-1]}]
    records = assistant_infos(listed)
    assert len(records) == 2  # the user message is skipped
    result = parse_response({"id": SESSION_ID}, _response(), records, None)
    assert result.usage == Usage(
        input_tokens=5020, output_tokens=30, total_tokens=5050, cost_usd=0.01551
    )


def test_sse_capture_carries_the_session_id_on_every_call_event() -> None:
    events = _bus_events()
    assert events[0]["type"] == "server.connected"
    session_events = [e for e in events if isinstance(e.get("properties"), dict)]
    ids = {e["properties"].get("sessionID") for e in session_events}  # type: ignore[union-attr]
    assert ids == {SESSION_ID, None}


def test_message_body_splits_the_model_and_carries_schema_effort_and_agent(
    tmp_path: Path,
) -> None:
    request = _request(tmp_path, model="fakellm/fake-model", effort="high", agent_type="plan")
    assert message_body(request) == {
        "parts": [{"type": "text", "text": "Give me the answer"}],
        "model": {"providerID": "fakellm", "modelID": "fake-model"},
        "variant": "high",
        "agent": "plan",
        "format": {"type": "json_schema", "schema": SCHEMA, "retryCount": 2},
    }


# --- permissions on the server path --------------------------------------------------

DIRS = ("/tmp/opencode", "/home/u/.local/share/opencode/tool-output")


@pytest.mark.parametrize("level", ["read-only", "edit", "full"])
def test_session_carries_the_levels_rules_then_what_run_denies_headless(
    tmp_path: Path, level: PermissionLevel
) -> None:
    body = session_body(_request(tmp_path, permissions=level, agent_type="plan"), DIRS)
    headless = [
        {"permission": name, "pattern": "*", "action": "deny"}
        for name in ("question", "plan_enter", "plan_exit")
    ]
    rules = [{"permission": p, "pattern": q, "action": a} for p, q, a in level_rules(level, DIRS)]
    if level == "read-only":  # subagents inherit a session's denies: the env has this one
        assert rules.pop(0) == {"permission": "*", "pattern": "*", "action": "deny"}
    assert body == {"title": "smol-wf agent call", "agent": "plan", "permission": rules + headless}


def test_refused_tool_parts_on_the_bus_become_refusals() -> None:
    # Captured from a read-only structured call: the model's shell write was denied, then
    # it answered through the StructuredOutput tool.
    lines = REFUSED_BUS_FILE.read_text(encoding="utf-8").splitlines()
    parts = bus_tool_parts([json.loads(line) for line in lines])
    assert [(p["tool"], p["state"]["status"]) for p in parts] == [  # type: ignore[index]
        ("bash", "error"),
        ("StructuredOutput", "completed"),
    ]
    refusals = collect_refusals(parts, [], "read-only", DIRS)
    assert refusals == (Refusal("bash", "echo FAKELLM_EDIT_OK > agent-edit.txt", "edit"),)
    result = parse_response({"id": SESSION_ID}, _response(), [], None, refusals=refusals)
    assert result.refusals == refusals


# --- the adapter, against a fake ``opencode serve`` -------------------------------------

FAKE_SERVER = textwrap.dedent(
    """\
    #!{python}
    import json, os, queue, subprocess, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from pathlib import Path
    from urllib.parse import urlsplit, parse_qs

    LOG = Path(os.environ["FAKE_DIR"]) / "requests.jsonl"
    MODE = os.environ.get("FAKE_MODE", "ok")
    RESPONSE = json.loads(Path(os.environ["FAKE_RESPONSE"]).read_text())
    SID = RESPONSE["info"]["sessionID"]
    bus = queue.Queue()
    refused = threading.Event()
    Path(os.environ["FAKE_DIR"], "argv.json").write_text(json.dumps(sys.argv[1:]))
    names = ("OPENCODE_PERMISSION", "OPENCODE_CONFIG_CONTENT")
    env = {{n: os.environ.get(n) for n in names}}
    Path(os.environ["FAKE_DIR"], "env.json").write_text(json.dumps(env))
    if MODE == "die":
        print("Error: cannot start", file=sys.stderr, flush=True)
        sys.exit(7)
    child = subprocess.Popen(["sleep", "30"])
    Path(os.environ["FAKE_DIR"], "child.pid").write_text(str(child.pid))

    def event(kind, **props):
        bus.put({{"type": kind, "properties": props}})

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _log(self, body):
            url = urlsplit(self.path)
            entry = {{"method": self.command, "path": url.path,
                     "query": parse_qs(url.query), "body": body}}
            with LOG.open("a") as out:
                out.write(json.dumps(entry) + "\\n")
            return url.path

        def _json(self, value, status=200):
            data = json.dumps(value).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = self._log(None)
            if path == "/event":
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                bus.put({{"type": "server.connected", "properties": {{}}}})
                while True:
                    item = bus.get()
                    self.wfile.write(b"data: " + json.dumps(item).encode() + b"\\n\\n")
                    self.wfile.flush()
            elif path == f"/session/{{SID}}/message":
                user = {{"info": {{"role": "user", "id": "msg_u"}}}}
                self._json([user, {{"info": RESPONSE["info"]}}, {{"info": RESPONSE["info"]}}])

        def do_POST(self):
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"null")
            path = self._log(body)
            if path == "/session":
                event("session.created", sessionID=SID, info={{"id": SID}})
                self._json({{"id": SID, "title": body["title"]}})
            elif path.startswith("/permission/"):
                refused.set()
                self._json(True)
            elif MODE == "hang":
                event("session.status", sessionID=SID, status={{"type": "busy"}})
                time.sleep(30)
            elif MODE == "permission":
                event("permission.asked", sessionID=SID, id="per_1",
                      permission="external_directory", patterns=["/etc/*"])
                refused.wait(10)
                event("session.idle", sessionID=SID)
                self._json({{"info": {{"role": "assistant", "sessionID": SID}}, "parts": []}})
            elif MODE == "status":
                self._json({{"name": "BadRequest", "data": {{}}}}, status=400)
            else:
                event("message.updated", sessionID=SID, info=RESPONSE["info"])
                event("session.idle", sessionID=SID)
                self._json(RESPONSE)

    port = int(sys.argv[sys.argv.index("--port") + 1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("Warning: OPENCODE_SERVER_PASSWORD is not set; server is unsecured.", flush=True)
    print(f"opencode server listening on http://127.0.0.1:{{port}}", flush=True)
    server.serve_forever()
    """
)


def _provider(tmp_path: Path, mode: str) -> OpenCodeProvider:
    path = tmp_path / "opencode"
    path.write_text(FAKE_SERVER.format(python=sys.executable), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = {"FAKE_DIR": str(tmp_path), "FAKE_MODE": mode, "FAKE_RESPONSE": str(RESPONSE_FILE)}
    return OpenCodeProvider(ProviderSettings(binaries={"opencode": str(path)}, env=env))


def _requests(tmp_path: Path) -> list[JSONObject]:
    lines = (tmp_path / "requests.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.anyio
async def test_structured_call_goes_through_a_private_server(tmp_path: Path) -> None:
    seen: list[tuple[JSON, str | None]] = []
    request = _request(tmp_path, model="fakellm/fake-model", effort="high")
    provider = _provider(tmp_path, "ok")
    result = await provider.run(request, lambda event, sid: seen.append((event, sid)))
    assert result.output == ANSWER
    assert result.session_id == SESSION_ID
    assert result.model == "fakellm/fake-model"
    # GET /session/{id}/message lists the answer twice: two model calls of 2510/15/2525.
    assert result.usage == Usage(
        input_tokens=5020, output_tokens=30, total_tokens=5050, cost_usd=0.01551
    )
    argv = json.loads((tmp_path / "argv.json").read_text())
    assert argv[:4] == ["serve", "--hostname", "127.0.0.1", "--port"]
    assert int(argv[4]) > 0
    calls = [(r["method"], r["path"], r["query"], r["body"]) for r in _requests(tmp_path)]
    where = {"directory": [str(tmp_path)]}
    dirs = opencode_dirs(os.environ)
    assert calls == [
        ("GET", "/event", where, None),
        ("POST", "/session", where, session_body(request, dirs)),
        ("POST", f"/session/{SESSION_ID}/message", where, message_body(request)),
        ("GET", f"/session/{SESSION_ID}/message", where, None),
    ]
    # The session's bus events, live and in order (server.connected is not the call's).
    assert [(e["type"], sid) for e, sid in seen] == [  # type: ignore[call-overload,index]
        ("session.created", SESSION_ID),
        ("message.updated", SESSION_ID),
        ("session.idle", SESSION_ID),
    ]
    assert exits_promptly(int((tmp_path / "child.pid").read_text()))
    # The server, its subagents included, runs with the same rules as the session.
    env = json.loads((tmp_path / "env.json").read_text())
    assert json.loads(env["OPENCODE_PERMISSION"]) == permission_config("read-only", dirs)
    assert result.refusals == ()


@pytest.mark.anyio
async def test_permission_requests_are_refused_and_named_in_the_failure(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await _provider(tmp_path, "permission").run(_request(tmp_path), lambda e, s: None)
    assert caught.value.kind is FailureKind.INVALID_OUTPUT
    assert str(caught.value) == (
        f"{NO_STRUCTURED} (a permission request was refused: external_directory /etc/*)"
    )
    replies = [r for r in _requests(tmp_path) if r["path"] == "/permission/per_1/reply"]
    assert [r["body"] for r in replies] == [{"reply": "reject"}]
    assert caught.value.refusals == (Refusal("external_directory", "/etc/*", "full"),)


@pytest.mark.anyio
async def test_under_full_a_permission_request_is_approved_once(tmp_path: Path) -> None:
    request = _request(tmp_path, permissions="full")
    with pytest.raises(ProviderError) as caught:
        await _provider(tmp_path, "permission").run(request, lambda e, s: None)
    assert str(caught.value) == NO_STRUCTURED  # the fake answers nothing either way
    assert caught.value.refusals == ()
    replies = [r for r in _requests(tmp_path) if r["path"] == "/permission/per_1/reply"]
    assert [r["body"] for r in replies] == [{"reply": "once"}]


@pytest.mark.anyio
async def test_silent_server_trips_idle_timeout_and_is_stopped(tmp_path: Path) -> None:
    request = _request(tmp_path, idle_timeout_s=1.5)  # room to start the server under its guard
    with pytest.raises(ProviderError) as caught:
        await _provider(tmp_path, "hang").run(request, lambda e, s: None)
    assert caught.value.kind is FailureKind.TIMEOUT
    assert "idleTimeout" in str(caught.value)
    assert caught.value.session_id == SESSION_ID
    assert exits_promptly(int((tmp_path / "child.pid").read_text()))


@pytest.mark.anyio
async def test_http_error_status_names_the_request(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await _provider(tmp_path, "status").run(_request(tmp_path), lambda e, s: None)
    assert caught.value.kind is FailureKind.CRASH
    assert str(caught.value) == (
        f"OpenCode provider POST /session/{SESSION_ID}/message failed with HTTP 400 "
        'Bad Request: {"name": "BadRequest", "data": {}}'
    )
    assert caught.value.session_id == SESSION_ID


@pytest.mark.anyio
async def test_server_that_exits_before_listening_reports_its_output(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await _provider(tmp_path, "die").run(_request(tmp_path), lambda e, s: None)
    assert str(caught.value) == (
        "OpenCode server exited with code 7 before it was ready: Error: cannot start"
    )


@pytest.mark.anyio
async def test_bare_model_is_a_config_error_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        await _provider(tmp_path, "ok").run(_request(tmp_path, model="gpt-5"), lambda e, s: None)
    assert caught.value.kind is FailureKind.CONFIG
    assert str(caught.value) == (
        "OpenCode model must use provider/model form for structured output, got: gpt-5"
    )
    assert not (tmp_path / "argv.json").exists()
