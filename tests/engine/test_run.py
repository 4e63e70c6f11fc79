"""What a workflow author sees when a run executes: results, failures, options, limits."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport, WorkflowFailed
from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest
from tests.fakes import ConcurrencyProvider, FlakyProvider, GatedProvider, RecordingProvider

Run = Callable[..., RunReport]
Write = Callable[..., Path]


def test_parallel_keeps_order_and_turns_failures_into_null(write_script: Write, run: Run) -> None:
    script = write_script(
        "export default await parallel([\n"
        "  () => agent('ok:first'),\n"
        "  () => { throw new Error('programmer error') },\n"
        "  'not a function',\n"
        "  () => agent('ok:last'),\n"
        "])\n"
    )
    assert run(script).result == ["echo: ok:first", None, None, "echo: ok:last"]


def test_parallel_failure_is_reported_as_a_warning(write_script: Write, run: Run) -> None:
    script = write_script("export default await parallel([() => { throw new Error('lost?') }])\n")
    progress = io.StringIO()
    run(script, progress_stream=progress)
    assert "[warn] parallel task 0 failed: lost?" in progress.getvalue()


def test_pipeline_threads_previous_value_item_and_index(write_script: Write, run: Run) -> None:
    script = write_script(
        "export default await pipeline(['a', 'bad', 'c'],\n"
        "  (item, _, i) => { if (item === 'bad') throw new Error('bad item'); "
        "return agent(`stage1:${item}:${i}`) },\n"
        "  (prev, item, i) => agent(`stage2:${prev}:${item}:${i}`))\n"
    )
    assert run(script).result == [
        "echo: stage2:echo: stage1:a:0:a:0",
        None,
        "echo: stage2:echo: stage1:c:2:c:2",
    ]


def test_pipeline_without_stages_returns_the_items(write_script: Write, run: Run) -> None:
    assert run(write_script("export default await pipeline([1, 2])\n")).result == [1, 2]


def _failing_on_fail(request: AgentRequest) -> JSON:
    if request.prompt.startswith("fail"):
        raise ProviderError("the model gave up", kind=FailureKind.CONFIG)
    return f"fake: {request.prompt}"


def test_a_failed_agent_in_parallel_is_null_and_warned(write_script: Write, run: Run) -> None:
    script = write_script(
        "export default await parallel([() => agent('a'), () => agent('fail')])\n"
    )
    progress = io.StringIO()
    fake = RecordingProvider(answer=_failing_on_fail)
    report = run(script, providers={"debug": fake}, progress_stream=progress)
    assert report.result == ["fake: a", None]
    assert "[warn] parallel task 1 failed: the model gave up" in progress.getvalue()


def test_a_failed_agent_in_parallel_settled_keeps_its_error(write_script: Write, run: Run) -> None:
    script = write_script(
        "import { parallelSettled } from 'workflow:extra'\n"
        "export default await parallelSettled([() => agent('fail'), () => agent('b')])\n"
    )
    report = run(script, providers={"debug": RecordingProvider(answer=_failing_on_fail)})
    assert report.result == [
        {"ok": False, "error": "the model gave up"},
        {"ok": True, "value": "fake: b"},
    ]


def test_an_agent_promise_in_parallel_still_resolves_for_its_caller(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        "const p = agent('x')\n"
        "const slots = await parallel([() => p])\n"
        "export default [slots, await p]\n"
    )
    assert run(script).result == [["echo: x"], "echo: x"]


def test_a_parallel_task_gets_the_promise_it_returned_not_its_last_call(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        "const earlier = agent('earlier')\n"
        "export default await parallel([\n"
        "  () => { agent('side'); return earlier },\n"
        "  () => { const p = agent('first'); agent('second'); return p },\n"
        "])\n"
    )
    assert run(script).result == ["echo: earlier", "echo: first"]


def test_pipeline_with_one_stage_passes_item_item_and_index(write_script: Write, run: Run) -> None:
    script = write_script(
        "export default await pipeline(['a', 'bad', 'c'], (prev, item, i) => {\n"
        "  if (item === 'bad') throw new Error('bad item')\n"
        "  return agent(`${prev}:${item}:${i}`)\n"
        "})\n"
    )
    progress = io.StringIO()
    assert run(script, progress_stream=progress).result == ["echo: a:a:0", None, "echo: c:c:2"]
    assert "[warn] pipeline item 1 failed: bad item" in progress.getvalue()


def test_settled_variants_keep_the_error(write_script: Write, run: Run) -> None:
    script = write_script(
        "import { parallelSettled } from 'workflow:extra'\n"
        "export default await parallelSettled([() => agent('x'), () => { throw new Error('no') }])\n"
    )
    assert run(script).result == [{"ok": True, "value": "echo: x"}, {"ok": False, "error": "no"}]


def test_phase_metadata_fills_model_and_provider_defaults(write_script: Write, run: Run) -> None:
    script = write_script(
        "export const meta = { name: 'p', description: 'd', phases: [\n"
        "  { title: 'Research', model: 'opus' }, { title: 'Verify', model: 'sonnet' }] }\n"
        "phase('Research')\n"
        "await agent('a'); await agent('b', { model: 'haiku' }); await agent('c', { phase: 'Verify' })\n"
        "await agent('d', { phase: null })\n"
        "export default null\n",
        meta=False,
    )
    fake = RecordingProvider()
    run(script, provider="debug", providers={"debug": fake})
    assert [(r.phase, r.model) for r in fake.requests] == [
        ("Research", "opus"),
        ("Research", "haiku"),
        ("Verify", "sonnet"),
        (None, None),
    ]


def test_model_map_alias_reaches_the_provider_resolved(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('x', { model: 'deep', provider: 'pi' })\n")
    fake = RecordingProvider()
    run(
        script,
        providers={"pi": fake},
        model_map={"deep": "gpt-5.5?provider=github-copilot&thinking=medium"},
    )
    request = fake.requests[0]
    assert (request.model, request.effort) == ("github-copilot/gpt-5.5", "medium")


def test_invalid_options_reject_without_agent_events(write_script: Write, run: Run) -> None:
    script = write_script(
        "const errors = []\n"
        "for (const options of [{ retry: { maxAttempts: 0 } }, { provider: 'nope' }, { phase: 3 }]) {\n"
        "  try { await agent('x', options) } catch (e) { errors.push(e.message) }\n"
        "}\n"
        "export default errors\n"
    )
    events = io.StringIO()
    report = run(script, events_stream=events)
    assert report.result == [
        "agent retry.maxAttempts must be a positive integer",
        "Unknown agent provider: nope",
        "agent() option phase must be a string or null",
    ]
    assert "agent_started" not in events.getvalue()


def test_agent_rejects_non_string_prompt_and_non_object_options(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        "const errors = []\n"
        "try { agent(42) } catch (e) { errors.push(e.message) }\n"
        "try { agent('x', 'opts') } catch (e) { errors.push(e.message) }\n"
        "export default errors\n"
    )
    assert run(script).result == [
        "agent(prompt, options?) needs a string prompt, got a number",
        "agent() options must be an object, got a string",
    ]


def test_parallel_agents_never_exceed_the_cap(write_script: Write, run: Run) -> None:
    script = write_script(
        "export default (await parallel(Array.from({ length: 12 }, (_, i) => () => agent('n' + i)))).length\n"
    )
    for cap in (1, 2, 5):
        fake = ConcurrencyProvider()
        assert run(script, providers={"debug": fake}, max_parallel_agents=cap).result == 12
        assert fake.peak == cap


def test_follow_up_starts_while_a_slow_call_still_runs(write_script: Write, run: Run) -> None:
    script = write_script(
        "export default await parallel([\n"
        "  () => agent('wait: slow'),\n"
        "  async () => { const a = await agent('fast'); return agent('release') },\n"
        "])\n"
    )
    fake = GatedProvider()
    report = run(script, providers={"debug": fake}, max_parallel_agents=2)
    assert report.result == ["fake: wait: slow", "fake: release"]
    assert fake.prompts.index("release") > fake.prompts.index("fast")


def test_max_agents_rejects_the_next_call_naming_the_flag(write_script: Write, run: Run) -> None:
    script = write_script(
        "await agent('1'); await agent('2')\n"
        "try { await agent('3') } catch (e) { log(e.message) }\n"
        "export default 'done'\n"
    )
    progress = io.StringIO()
    run(script, max_agents=2, progress_stream=progress)
    assert "limit of 2 agent calls (--max-agents 2)" in progress.getvalue()


def test_structured_output_is_validated_and_corrected_once(write_script: Write, run: Run) -> None:
    schema = {
        "type": "object",
        "required": ["summary"],
        "properties": {"summary": {"type": "string"}},
    }
    script = write_script(
        f"export default await agent('sum', {{ schema: {json.dumps(schema)} }})\n"
    )
    answers = iter([{"wrong": 1}, {"summary": "fixed"}])
    fake = RecordingProvider(answer=lambda request: next(answers))
    report = run(script, providers={"debug": fake})
    assert report.result == {"summary": "fixed"}
    assert "Previous structured output failed JSON Schema validation." in fake.prompts[1]
    assert "required property" in fake.prompts[1]
    assert report.token_usage.output_tokens == 14  # both attempts are spend


def test_structured_output_fails_after_the_correction(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('sum', { schema: { type: 'string' } })\n")
    fake = RecordingProvider(answer=lambda request: 42)
    with pytest.raises(
        WorkflowFailed, match="Structured output did not match JSON Schema: / 42 is not of type"
    ):
        run(script, providers={"debug": fake})
    assert len(fake.requests) == 2


def test_invalid_schema_costs_no_provider_call(write_script: Write, run: Run) -> None:
    script = write_script(
        "try { await agent('x', { schema: { type: 'no-such-type' } }) } catch (e) { log(e.message) }\n"
        "export default 1\n"
    )
    fake = RecordingProvider()
    progress = io.StringIO()
    run(script, providers={"debug": fake}, progress_stream=progress)
    assert "schema is invalid" in progress.getvalue()
    assert fake.requests == []


def test_retry_recovers_from_a_flaky_provider(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('x', { retry: { maxAttempts: 2 } })\n")
    fake = FlakyProvider(failures=1)
    report = run(script, providers={"debug": fake})
    assert report.result == "fake: x"
    assert len(fake.requests) == 2
    assert report.token_usage.output_tokens == 3 + 7  # the failed attempt still cost tokens


def test_budget_spent_grows_as_agents_resolve(write_script: Write, run: Run) -> None:
    script = write_script(
        "const seen = [budget.spent()]\n"
        "await agent('a'); seen.push(budget.spent())\n"
        "await agent('b'); seen.push(budget.spent())\n"
        "export default { seen, total: budget.total, remaining: budget.remaining() }\n"
    )
    report = run(script, providers={"debug": RecordingProvider()}, budget_allowance=20)
    assert report.result == {"seen": [0, 7, 14], "total": 20, "remaining": 6}


def test_budget_without_allowance_is_unlimited(write_script: Write, run: Run) -> None:
    script = write_script("export default { total: budget.total, remaining: budget.remaining() }\n")
    assert run(script).result == {"total": None, "remaining": None}


def test_function_default_receives_args_and_ctx(write_script: Write, run: Run) -> None:
    script = write_script(
        "export default async function (input, ctx) {\n"
        "  return { input, same: input === args, echo: await ctx.agent('hi'), keys: Object.keys(ctx) }\n"
        "}\n"
    )
    result = run(script, args={"value": 1}).result
    assert result["input"] == {"value": 1}
    assert result["same"] is True
    assert result["echo"] == "echo: hi"
    assert "extra" in result["keys"]


def test_claude_code_form_returns_its_top_level_return(write_script: Write, run: Run) -> None:
    script = write_script("const r = await agent('hi')\nreturn { r }\n")
    assert run(script).result == {"r": "echo: hi"}


def test_result_keeps_javascript_key_order(write_script: Write, run: Run) -> None:
    script = write_script("export default { zebra: 1, apple: 2, mango: { b: 1, a: 2 } }\n")
    assert list(run(script).result) == ["zebra", "apple", "mango"]


def test_missing_default_export_is_an_error(write_script: Write, run: Run) -> None:
    with pytest.raises(
        WorkflowFailed, match=r"workflow module must default export a workflow result or function"
    ):
        run(write_script("const x = 1\n"))


def test_top_level_throw_reports_message_and_stack(write_script: Write, run: Run) -> None:
    script = write_script(
        "function fail() { throw new Error('boom from module') }\nfail()\nexport default 1\n"
    )
    with pytest.raises(WorkflowFailed) as caught:
        run(script)
    assert "workflow module evaluation rejected: boom from module" in caught.value.message
    assert "at fail (wf.mjs:2:" in caught.value.message


def test_function_style_throw_is_a_module_rejection(write_script: Write, run: Run) -> None:
    script = write_script("export default async function () { throw 'boom from string' }\n")
    with pytest.raises(WorkflowFailed, match=r"^workflow module rejected: boom from string$"):
        run(script)


def test_a_promise_nothing_settles_fails_instead_of_hanging(write_script: Write, run: Run) -> None:
    script = write_script("await new Promise(() => {})\nexport default 1\n")
    with pytest.raises(WorkflowFailed, match="workflow can never finish"):
        run(script)


def test_fire_and_forget_agents_are_cancelled_with_a_warning(write_script: Write, run: Run) -> None:
    script = write_script("agent('wait: never awaited')\nexport default 'done'\n")
    progress = io.StringIO()
    report = run(script, providers={"debug": GatedProvider()}, progress_stream=progress)
    assert report.result == "done"
    assert (
        "1 agent calls or child workflows were still running when the workflow finished"
        in progress.getvalue()
    )


def test_sleep_resolves_and_does_not_use_agent_capacity(write_script: Write, run: Run) -> None:
    script = write_script(
        "import { sleep } from 'workflow:extra'\n"
        "const [a, b] = await parallel([() => sleep(5), () => agent('x')])\n"
        "export default { a, b }\n"
    )
    assert run(script, max_parallel_agents=1).result == {"a": None, "b": "echo: x"}


def test_console_methods_log_like_log(write_script: Write, run: Run) -> None:
    script = write_script("console.log('a', 1); console.error({ b: 2 })\nexport default 1\n")
    progress = io.StringIO()
    run(script, progress_stream=progress)
    assert progress.getvalue().splitlines() == ["[log] a 1", '[log] {"b":2}']
