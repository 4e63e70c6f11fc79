// The entry of @smol-wf/sdk. It brings in the globals (globals.d.ts) and, as a module,
// exports the public type names of the reference runtime's SDK (@smol-workflows/sdk)
// with this runtime's definitions, so a script annotated for the reference,
//   /** @type {import('@smol-workflows/sdk').WorkflowMetadata} */
// type-checks here through one package alias (see README.md). Types only.

/// <reference path="./globals.d.ts" />

// ---- JSON -------------------------------------------------------------------------------

export type JSONPrimitive = string | number | boolean | null;
export type JSONValue = SmolWf.JsonValue;
export type JSONObject = SmolWf.JsonObject;
export type JSONArray = readonly SmolWf.JsonValue[];
export type JSONSchemaType = 'null' | 'boolean' | 'object' | 'array' | 'number' | 'integer' | 'string';
/**
 * A JSON Schema object for `agent(prompt, {schema})`; the type parameter names what the
 * validated output is (`JSONSchema<{summary: string}>`). Boolean schemas are not taken.
 */
export type JSONSchema<T = any> = SmolWf.Schema<T>;
export type JSONSchemaObject<T = any> = SmolWf.Schema<T>;

// ---- metadata ---------------------------------------------------------------------------

export type WorkflowMetadata = SmolWf.WorkflowMetadata;
export type WorkflowPhaseMetadata = SmolWf.PhaseMetadata;
export type DynamicWorkflowMetadata = SmolWf.WorkflowMetadata;
export type DynamicWorkflowPhaseMetadata = SmolWf.PhaseMetadata;

// ---- the workflow API -------------------------------------------------------------------

export type Awaitable<T> = T | Promise<T>;
export type WorkflowArgs = SmolWf.Args;
/** Options of one agent() call; with a schema typed `JSONSchema<T>`, the output is `T`. */
export type AgentRunOptions<T = any> = SmolWf.AgentOptionsMaybeSchema<T>;
export type DynamicWorkflowAgentRunOptions<T = any> = SmolWf.AgentOptionsMaybeSchema<T>;
export type AgentRunFn = SmolWf.Agent;
/** The reference's agent object; here `agent` is the function itself (`AgentRunFn`). */
export type Agent = { run: SmolWf.Agent };
export type AgentIsolation = NonNullable<SmolWf.AgentOptions['isolation']>;
export type SandboxIsolation = SmolWf.SandboxIsolation;
export type ParallelTask<T = unknown> = () => Awaitable<T>;
export type ParallelResults<Tasks extends readonly SmolWf.Task[]> = SmolWf.TaskResults<Tasks, false>;
export type ParallelFn = SmolWf.ParallelRunner<false>;
export type PipelineStage<Previous = unknown, Item = unknown, Result = unknown> = SmolWf.Stage<
  Previous,
  Item,
  Awaitable<Result>
>;
export type PipelineFn = SmolWf.PipelineRunner<false>;
export type WorkflowRef = SmolWf.WorkflowRef;
export type WorkflowRunFn = SmolWf.RunWorkflow;
export type WorkflowBudget = SmolWf.Budget;
export type WorkflowLogFn = SmolWf.Log;
export type PhaseFn = SmolWf.Phase;
export type WorkflowExtra = SmolWf.Extra;
export type WorkflowRuntimeNamespace = SmolWf.SW;
export type WorkflowContext = SmolWf.WorkflowContext;
/** A function-style default export: `(input, ctx) => result`. */
export type WorkflowHandler<Input = SmolWf.Args, Output = unknown> = (
  input: Input,
  ctx: SmolWf.WorkflowContext,
) => Awaitable<Output>;

/** What a caller hands a workflow runner (the Workflow tool's input in Claude Code). */
export type WorkflowToolInput = {
  /** The script's source text. */
  script?: string;
  /** A script file; wins over `script` and `name`. */
  scriptPath?: string;
  /** A workflow's `meta.name`, looked up in .agents/workflows and .claude/workflows. */
  name?: string;
  /** The script's `args`, passed verbatim. */
  args?: unknown;
  /** A run to resume. */
  resumeFromRunId?: string;
};
