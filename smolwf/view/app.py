"""The web app: routes, the access token on every request, the origin on mutating ones.

Loopback only and guarded like Jupyter: a random token, printed in the URL at start,
must come with every request (in the query, or the cookie the first visit sets), and a
request that changes anything must also come from this server's own origin.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from smolwf.store.history import RunFilter
from smolwf.store.paths import resume_command
from smolwf.store.runs import STATES
from smolwf.view import pages
from smolwf.view.approvals import NO_APPROVALS, Approvals
from smolwf.view.runs import RunReader

COOKIE = "smolwf_view_token"
POLL_S = 0.5
"""How often live updates look at the database for news."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


class Guard(BaseHTTPMiddleware):
    """The token on every request; this server's origin on every mutating one."""

    def __init__(self, app: object, token: str, origins: frozenset[str]) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.token = token
        self.origins = origins

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.query_params.get("token") or request.cookies.get(COOKIE) or ""
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return PlainTextResponse(
                "forbidden: open the URL smol-wf view printed (it carries the token)\n", 403
            )
        if request.method not in SAFE_METHODS:
            origin = request.headers.get("origin") or ""
            if origin not in self.origins:
                return PlainTextResponse("forbidden: cross-origin request\n", 403)
        response = await call_next(request)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
        )
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
        return response


def create_app(db: Path, token: str, port: int, approvals: Approvals = NO_APPROVALS) -> Starlette:
    """The view of database ``db`` served on 127.0.0.1:``port``."""
    reader = RunReader(db)
    links = pages.Links(token)
    origins = frozenset({f"http://127.0.0.1:{port}", f"http://localhost:{port}"})

    def page(request: Request, title: str, main: str, live: str) -> Response:
        if request.query_params.get("fragment") == "1":
            return HTMLResponse(main)
        return HTMLResponse(pages.layout(title, main, links, live))

    async def run_list(request: Request) -> Response:
        run_filter = _filter(request)
        runs = await anyio.to_thread.run_sync(reader.runs, run_filter)
        main = pages.run_list(runs, run_filter, links)
        return page(request, "Runs", main, links.to("/updates"))

    async def run_page(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        detail = await anyio.to_thread.run_sync(reader.detail, run_id)
        if detail is None:
            return _not_found(f"workflow run {run_id} was not found in {db}")
        state = await anyio.to_thread.run_sync(reader.state, run_id)
        resume = resume_command(run_id, db)
        main = pages.run_page(detail, state, resume, approvals.pending(run_id), links)
        return page(request, detail.name, main, links.to("/updates", run=run_id))

    async def agent_page(request: Request) -> Response:
        run_id, step_id = request.path_params["run_id"], request.path_params["step_id"]
        state = await anyio.to_thread.run_sync(reader.state, run_id)
        agent = state.agents.get(step_id)
        if agent is None:
            return _not_found(f"agent {step_id} was not found in run {run_id}")
        events = await anyio.to_thread.run_sync(reader.transcript, run_id, step_id)
        main = pages.agent_page(run_id, agent, events, links)
        return page(request, agent.title, main, links.to("/updates", run=run_id))

    async def answer(request: Request) -> Response:
        params = request.path_params
        approved = params["verdict"] == "approve"
        if not approvals.answer(params["run_id"], params["approval_id"], approved):
            return _not_found("no such pending approval (this smol-wf has no human approvals)")
        return Response(
            status_code=303, headers={"Location": links.to(f"/runs/{params['run_id']}")}
        )

    async def updates(request: Request) -> Response:
        return StreamingResponse(
            _changes(request, reader, request.query_params.get("run")),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        kind = STATIC_TYPES.get(Path(name).suffix)
        if kind is None or "/" in name:
            return _not_found("no such file")
        text = resources.files("smolwf.view").joinpath("static", name).read_text("utf-8")
        return Response(text, media_type=kind)

    routes = [
        Route("/", run_list),
        Route("/runs/{run_id}", run_page),
        Route("/runs/{run_id}/agents/{step_id}", agent_page),
        Route("/runs/{run_id}/approvals/{approval_id}/{verdict:str}", answer, methods=["POST"]),
        Route("/updates", updates),
        Route("/static/{name}", static),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, token=token, origins=origins)])


async def _changes(request: Request, reader: RunReader, run_id: str | None) -> AsyncIterator[str]:
    """Server-sent ``change`` events whenever the runs or the run's events move on."""
    last = None
    yield "retry: 2000\n\n"
    while not await request.is_disconnected():
        now = await anyio.to_thread.run_sync(reader.change, run_id)
        if last is not None and now != last:
            yield "event: change\ndata: {}\n\n"
        last = now
        await anyio.sleep(POLL_S)


def _filter(request: Request) -> RunFilter:
    query = request.query_params
    states = tuple(s for s in query.getlist("status") if s in STATES)
    return RunFilter(
        states=states,
        name=query.get("name") or None,
        since_ms=_int(query.get("since")),
        until_ms=_int(query.get("until")),
        limit=_int(query.get("limit")) or 50,
    )


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


def _not_found(message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=404)
