// Type declarations for smol-wf workflow scripts: the globals the QuickJS sandbox
// installs (smolwf/js/prelude.js) and the importable modules, workflow:extra,
// workflow:sandbox and workflow:human (MODULE_EXPORTS in smolwf/script/source.py). Types
// only: nothing here exists at runtime.
//
// This file is a global script on purpose (no top-level import/export): a workflow
// sees these names without importing them. Every type lives in the `SmolWf` namespace;
// the few a script annotates often also have global aliases (WorkflowMetadata, ...).
// index.d.ts, the package's entry, references this file and exports the reference
// SDK's type names as a module.

declare namespace SmolWf {
  // ---- JSON --------------------------------------------------------------------

  /** A JSON value as it crosses to and from the host (results, schemas, args). */
  type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;
  type JsonObject = { readonly [key: string]: JsonValue };

  // ---- metadata ------------------------------------------------------------------

  /**
   * `export const meta = {...}`: read from the source text before any JS runs, so it
   * must be a pure literal (no variables, calls, spreads, computed keys or templates
   * with substitutions). Check it with a JSDoc `@satisfies {WorkflowMetadata}`.
   */
  interface WorkflowMetadata {
    /** Required. Named-workflow lookup (`workflow('name')`) and history match on it. */
    name: string;
    /** Required. */
    description: string;
    whenToUse?: string;
    /** `model`/`provider` of a phase default the agent() calls made in it. */
    phases?: readonly PhaseMetadata[];
    /** Hard caps: once spend reaches one, every later agent() rejects (BudgetExceeded). */
    budget?: BudgetCaps;
    /** Per-provider limits (the root's only); --provider-concurrency/--provider-rpm win. */
    rateLimits?: { readonly [provider: string]: RateLimit };
    /** Where agent() calls run unless --executor says: 'local' (default) or 'ray' (a Ray cluster). */
    executor?: 'local' | 'ray';
  }

  interface RateLimit {
    /** At most this many calls of the provider at once. */
    concurrency?: number;
    /** At most this many calls of the provider started per minute. */
    requestsPerMinute?: number;
  }

  /** Ray resource names to amounts, e.g. `{CPU: 2, agents: 1}` (`CPU` defaults to 1). */
  type Resources = { readonly [name: string]: number };

  interface PhaseMetadata {
    title: string;
    detail?: string;
    model?: string;
    /** One provider, or a fallback chain tried in order. */
    provider?: string | readonly string[];
    /** What agent() calls in this phase may change, unless they say otherwise. */
    permissions?: Permissions;
    /** What each agent() call in this phase reserves on a Ray cluster, unless it says. */
    resources?: Resources;
    /** Whether calls in this phase may reuse answers of earlier runs (default: --cache). */
    cache?: boolean;
  }

  interface BudgetCaps {
    outputTokens?: number;
    totalTokens?: number;
    usd?: number;
  }

  // ---- agent() ---------------------------------------------------------------------

  /**
   * A JSON Schema (an object) for `agent(prompt, {schema})`. The type parameter only
   * names the validated result's type; annotate a schema constant with
   * `@type {SmolWf.Schema<{summary: string}>}` and agent() resolves to that type.
   * A schema without it makes agent() resolve to `any`.
   */
  type Schema<T = any> = JsonObject & { readonly __smolwfResult?: T };

  /** How often a failing call is attempted, and the pause between attempts (reference §7.1). */
  interface RetryOptions {
    /** Provider attempts in total, a positive integer (default 1). */
    maxAttempts?: number;
    /** Pause between attempts in milliseconds, a non-negative integer (default 0). */
    backoffMs?: number;
  }

  interface SandboxIsolation {
    type: 'sandbox';
    /** `<provider>/<profile>`, e.g. `'local-worktree/default'`. */
    profile: string;
    cwd?: string;
  }

  type Effort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';

  /**
   * What the agent may change. `read-only`: read and search; `edit`: write files and run
   * commands in its working directory (the worktree or sandbox of `isolation`, else the
   * workflow's cwd); `full`: everything the CLI can do, with no prompts.
   */
  type Permissions = 'read-only' | 'edit' | 'full';

  /** One tool use the CLI refused, and the level that would have allowed it. */
  interface Refusal {
    tool: string;
    /** A short, one-line form of what the tool tried. */
    attempted: string;
    needs: Permissions | null;
  }

  /**
   * Options of `agent()` without a schema. Unknown keys are passed through to the
   * provider at runtime; to use one, add it to this interface by declaration merging
   * (`declare namespace SmolWf { interface AgentOptions { myKey?: string } }` in a .d.ts).
   */
  interface AgentOptions {
    /** Present only in the schema overload: with it, agent() resolves to validated JSON. */
    schema?: undefined;
    /** A model id, an alias from --model-map, or a selector `id?provider=p&thinking=level`. */
    model?: string;
    /** The provider for this call, or a fallback chain tried in order (default: --agent-provider). */
    provider?: string | readonly string[];
    /** The phase this call belongs to (default: the current phase); `null` for none. */
    phase?: string | null;
    retry?: RetryOptions | null;
    /** A short name shown in progress output; not part of the checkpoint key. */
    label?: string;
    /** Passed to providers that support it (claude-code `--agent`, opencode agent). */
    agentType?: string;
    effort?: Effort;
    isolation?: 'worktree' | SandboxIsolation;
    /** Time limit of one attempt, in milliseconds; not part of the checkpoint key. */
    timeout?: number;
    /** Limit on provider silence, in milliseconds; not part of the checkpoint key. */
    idleTimeout?: number;
    /** What the agent may change (default: the phase's, else --agent-permissions, else 'read-only'). */
    permissions?: Permissions;
    /** A refused tool use only warns (default) or also fails the call; not part of the key. */
    onRefusal?: 'warn' | 'fail';
    /** Hashed into the checkpoint key (and the cache key) like any other option. */
    key?: string;
    /** What the call reserves on a Ray cluster (--executor ray); not part of the key. */
    resources?: Resources;
    /**
     * Take the answer of an equal call of an earlier run in the database (default: the
     * phase's, else --cache); `false` wins over --cache. Never for isolated or writing calls.
     */
    cache?: boolean;
  }

  /** Options of `agent()` with a schema: the call resolves to the validated JSON (`T`). */
  interface AgentOptionsWithSchema<T> extends Omit<AgentOptions, 'schema'> {
    schema: Schema<T>;
  }

  /**
   * Options that may or may not hold a schema, as the reference SDK's `AgentRunOptions`
   * types them: agent() then resolves to `any`, since which one is not known.
   */
  interface AgentOptionsMaybeSchema<T = any> extends Omit<AgentOptions, 'schema'> {
    schema?: Schema<T>;
  }

  interface Agent {
    /** Runs one agent call; resolves to the output validated against `schema`. */
    <T = any>(prompt: string, options: AgentOptionsWithSchema<T>): Promise<T>;
    /** Runs one agent call; resolves to its text. */
    (prompt: string, options?: AgentOptions | null): Promise<string>;
    /** Options typed as `AgentRunOptions`: the text, or the validated output. */
    (prompt: string, options: AgentOptionsMaybeSchema): Promise<any>;
  }

  /** What `agentRun()` resolves to: the whole record of one call. */
  interface AgentRunRecord<T> {
    /** What `agent()` would have resolved to. */
    output: T;
    stepId: string;
    /** The provider that answered (the one of a fallback chain that did). */
    provider: string;
    model: string | null;
    sessionId: string | null;
    usage: {
      inputTokens: number;
      outputTokens: number;
      cacheReadTokens: number;
      cacheWriteTokens: number;
      totalTokens: number;
      costUsd: number | null;
    } | null;
    refusals: Refusal[];
    /** With `isolation: 'worktree'`: where the agent's changes were committed; `null` if none. */
    worktree: { branch: string; commit: string; base: string; changedFiles: string[] } | null;
    /** The raw isolation record (worktree or sandbox), `null` without isolation. */
    isolation: { [key: string]: unknown } | null;
    /** True when no provider was called for it in this attempt (resume, fork, cache, cassette). */
    replayed: boolean;
    /** A cache hit (--cache): the earlier run and step whose answer this is; usage is zero. */
    cached?: { runId: string; stepId: string };
    /** A fork's replay (the source run and step) or a cassette's (its file); usage is zero. */
    replayedFrom?: { runId: string; stepId: string } | { cassette: string };
  }

  interface AgentRun {
    <T = any>(prompt: string, options: AgentOptionsWithSchema<T>): Promise<AgentRunRecord<T>>;
    (prompt: string, options?: AgentOptions | null): Promise<AgentRunRecord<string>>;
  }

  // ---- parallel() and pipeline() ------------------------------------------------------

  /** A slot of parallelSettled/pipelineSettled: the value, or the error's message. */
  type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

  /** A slot of parallel/pipeline (`S` false: a failure is `null`) or of the settled forms. */
  type Slot<T, S extends boolean> = S extends true ? Settled<T> : T | null;

  type Task = () => unknown;

  type TaskResults<T extends readonly Task[], S extends boolean> = {
    -readonly [K in keyof T]: T[K] extends () => infer R ? Slot<Awaited<R>, S> : never;
  };

  interface ParallelRunner<S extends boolean> {
    /** Calls every task at once, in order; resolves to their results in order. */
    <const T extends readonly Task[]>(tasks: T): Promise<TaskResults<T, S>>;
  }

  /** One pipeline stage: the previous stage's result (first: the item), the item, its index. */
  type Stage<P, I, R> = (previous: P, item: I, index: number) => R;

  /** `pipeline(items, ...stages)`: each item runs through the stages with no barrier. */
  interface PipelineRunner<S extends boolean> {
    <I>(items: readonly I[]): Promise<Slot<Awaited<I>, S>[]>;
    <I, R1>(
      items: readonly I[],
      s1: Stage<I, I, R1>,
    ): Promise<Slot<Awaited<R1>, S>[]>;
    <I, R1, R2>(
      items: readonly I[],
      s1: Stage<I, I, R1>,
      s2: Stage<Awaited<R1>, I, R2>,
    ): Promise<Slot<Awaited<R2>, S>[]>;
    <I, R1, R2, R3>(
      items: readonly I[],
      s1: Stage<I, I, R1>,
      s2: Stage<Awaited<R1>, I, R2>,
      s3: Stage<Awaited<R2>, I, R3>,
    ): Promise<Slot<Awaited<R3>, S>[]>;
    <I, R1, R2, R3, R4>(
      items: readonly I[],
      s1: Stage<I, I, R1>,
      s2: Stage<Awaited<R1>, I, R2>,
      s3: Stage<Awaited<R2>, I, R3>,
      s4: Stage<Awaited<R3>, I, R4>,
    ): Promise<Slot<Awaited<R4>, S>[]>;
    <I, R1, R2, R3, R4, R5>(
      items: readonly I[],
      s1: Stage<I, I, R1>,
      s2: Stage<Awaited<R1>, I, R2>,
      s3: Stage<Awaited<R2>, I, R3>,
      s4: Stage<Awaited<R3>, I, R4>,
      s5: Stage<Awaited<R4>, I, R5>,
    ): Promise<Slot<Awaited<R5>, S>[]>;
    <I, R1, R2, R3, R4, R5, R6>(
      items: readonly I[],
      s1: Stage<I, I, R1>,
      s2: Stage<Awaited<R1>, I, R2>,
      s3: Stage<Awaited<R2>, I, R3>,
      s4: Stage<Awaited<R3>, I, R4>,
      s5: Stage<Awaited<R4>, I, R5>,
      s6: Stage<Awaited<R5>, I, R6>,
    ): Promise<Slot<Awaited<R6>, S>[]>;
    /** More than six stages: `previous` is `unknown` after the sixth; narrow it in the stage. */
    <I>(items: readonly I[], ...stages: Stage<unknown, I, unknown>[]): Promise<Slot<unknown, S>[]>;
  }

  // ---- the rest of the API ---------------------------------------------------------------

  /** `workflow({scriptPath})`: relative to this file; a string is a `meta.name`. */
  type WorkflowRef = string | { scriptPath: string };

  /** Runs a child workflow; resolves to its result (a JSON value of unknown shape). */
  type RunWorkflow = (ref: WorkflowRef, args?: unknown) => Promise<any>;

  /** The soft budget (--budget-allowance), counted in output tokens. */
  interface Budget {
    /** The allowance, else the output-token cap, or `null`. Read-only. */
    readonly total: number | null;
    /** Output tokens spent so far. */
    readonly spent: () => number;
    /** `max(0, total - spent)`, or `Infinity` when `total` is null. */
    readonly remaining: () => number;
  }

  /** Starts a phase; later agent() calls inherit it. `options` is informational JSON. */
  type Phase = (name: string, options?: unknown) => void;

  /** Prints `[log] ...`: strings as-is, anything else as JSON, joined by spaces. */
  type Log = (...values: unknown[]) => void;

  interface Console {
    readonly log: Log;
    readonly info: Log;
    readonly warn: Log;
    readonly error: Log;
    readonly debug: Log;
  }

  /**
   * The workflow arguments: an object at the root (`--args-<name>`, `--args-from-file`),
   * whatever the parent passed for a child (`null` when it passed nothing). Read-only.
   * A run given one non-object value (`--args-json '"a question"'`) sees that value:
   * use it through a JSDoc `@type` cast.
   */
  type Args = { readonly [key: string]: any };

  // ---- modules ------------------------------------------------------------------------

  /** `workflow:extra`, also `SW.extra` and `ctx.extra`. */
  interface Extra {
    /** A durable pause of `ms` milliseconds (finite, >= 0, rounded up). */
    readonly sleep: (ms: number) => Promise<void>;
    /** parallel() that keeps each error: `{ok: true, value}` or `{ok: false, error}`. */
    readonly parallelSettled: ParallelRunner<true>;
    /** pipeline() that keeps each error: `{ok: true, value}` or `{ok: false, error}`. */
    readonly pipelineSettled: PipelineRunner<true>;
    /** agent() that resolves to the call's whole record: output, worktree branch, refusals. */
    readonly agentRun: AgentRun;
  }

  interface ExecRequest {
    command: string;
    args?: readonly string[];
    cwd?: string;
    env?: { readonly [name: string]: string };
    stdin?: string;
  }

  interface ExecResult {
    exitCode: number;
    stdout: string;
    stderr: string;
  }

  /** `workflow:sandbox`, also `SW.sandbox`. */
  interface Sandbox {
    /**
     * Runs one command in a fresh sandbox of `profile` (`<provider>/<profile>`). A
     * non-zero exit is returned, not thrown; not a checkpoint (re-runs on resume).
     */
    readonly exec: (profile: string, request: ExecRequest) => Promise<ExecResult>;
  }

  interface ApprovalOptions {
    /** A short name: shown in the inbox, and `smol-wf approve RUN_ID <label>` answers it. */
    label?: string;
    /** Milliseconds to wait; then `onTimeout` decides and `by` is `'timeout'`. */
    timeout?: number;
    /** What a timeout decides (default `'deny'`). */
    onTimeout?: 'approve' | 'deny';
  }

  /** What `requestApproval()` resolves to. */
  interface Approval {
    approved: boolean;
    /** The `--note` the person gave, or `null`. */
    note: string | null;
    /** Who answered (the OS user, `--by NAME`), or `'timeout'`. */
    by: string;
    /** When, as an ISO-8601 timestamp. */
    at: string;
  }

  interface SignalOptions<T> {
    /** JSON Schema the payload must match; a payload that does not is refused at the sender. */
    schema?: Schema<T>;
    /** Milliseconds to wait; then the promise rejects naming the signal. */
    timeout?: number;
  }

  interface WaitForSignal {
    /** Waits for `smol-wf signal RUN_ID <name> --data JSON`; resolves to the payload. */
    <T = any>(name: string, options?: SignalOptions<T> | null): Promise<T>;
  }

  /**
   * `workflow:human`, also `SW.human`: durable requests to a person. Waiting holds no agent
   * slot and spends nothing; an answered request replays on resume without asking again.
   */
  interface Human {
    /** Asks a person to approve (`smol-wf approve`) or deny (`smol-wf deny`). */
    readonly requestApproval: (message: string, options?: ApprovalOptions | null) => Promise<Approval>;
    readonly waitForSignal: WaitForSignal;
  }

  interface SW {
    readonly extra: Extra;
    readonly sandbox: Sandbox;
    readonly human: Human;
  }

  // ---- function-style default export ------------------------------------------------------

  /** The second argument of a function-style default export. No `SW`, no `sandbox`. */
  interface WorkflowContext {
    args: Args;
    agent: Agent;
    parallel: ParallelRunner<false>;
    pipeline: PipelineRunner<false>;
    workflow: RunWorkflow;
    budget: Budget;
    log: Log;
    phase: Phase;
    extra: Extra;
  }

  /**
   * `export default async function (input, ctx) {...}`, called as `fn(args, ctx)`;
   * annotate it with `@type {WorkflowFunction}`. (An async function's declared return
   * type must be a Promise; type a synchronous one with `@param` tags instead.)
   */
  type WorkflowFunction = (input: Args, ctx: WorkflowContext) => Promise<unknown>;
}

// ---- global aliases for annotations ------------------------------------------------------

type WorkflowMetadata = SmolWf.WorkflowMetadata;
type WorkflowContext = SmolWf.WorkflowContext;
type WorkflowFunction = SmolWf.WorkflowFunction;
type WorkflowArgs = SmolWf.Args;

// ---- the globals -----------------------------------------------------------------------

/** The workflow arguments (read-only). */
declare const args: SmolWf.Args;
/** Runs one agent call: resolves to its text, or to validated JSON with `schema`. */
declare const agent: SmolWf.Agent;
/** Calls every task at once; resolves to their results in order, `null` for a failure. */
declare const parallel: SmolWf.ParallelRunner<false>;
/** Runs each item through the stages independently; a failure makes that item `null`. */
declare const pipeline: SmolWf.PipelineRunner<false>;
/** Runs a child workflow (by `{scriptPath}` or by `meta.name`); resolves to its result. */
declare const workflow: SmolWf.RunWorkflow;
declare const budget: SmolWf.Budget;
declare const phase: SmolWf.Phase;
declare const log: SmolWf.Log;
/** smol-wf addition: every method behaves like `log()`. */
declare const console: SmolWf.Console;
/** The importable modules as a global: `SW.extra`, `SW.sandbox`, `SW.human`. */
declare const SW: SmolWf.SW;

// ---- the importable modules ---------------------------------------------------------------

declare module 'workflow:extra' {
  export const sleep: SmolWf.Extra['sleep'];
  export const parallelSettled: SmolWf.Extra['parallelSettled'];
  export const pipelineSettled: SmolWf.Extra['pipelineSettled'];
  export const agentRun: SmolWf.Extra['agentRun'];
  const extra: SmolWf.Extra;
  export default extra;
}

declare module 'workflow:sandbox' {
  export const exec: SmolWf.Sandbox['exec'];
  const sandbox: SmolWf.Sandbox;
  export default sandbox;
}

declare module 'workflow:human' {
  export const requestApproval: SmolWf.Human['requestApproval'];
  export const waitForSignal: SmolWf.Human['waitForSignal'];
  const human: SmolWf.Human;
  export default human;
}
