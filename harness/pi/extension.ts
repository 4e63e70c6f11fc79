// smol-workflows for pi: two tools that shell out to the installed `smol-wf`
// through the shared helper ./scripts/smol-wf.sh (it never downloads or builds smol-wf).
import { defineTool, type ExtensionAPI } from "@earendil-works/pi-coding-agent";
import { StringEnum } from "@earendil-works/pi-ai";
import { Type } from "typebox";
import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const helperPath = path.join(here, "scripts", "smol-wf.sh");

type HelperResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function runHelper(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; signal?: AbortSignal },
): Promise<HelperResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [helperPath, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const abort = () => child.kill("SIGTERM");
    options.signal?.addEventListener("abort", abort, { once: true });
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", abort);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function failure(result: HelperResult, what: string): Error {
  return new Error(result.stderr.trim() || `${what} failed with exit code ${result.code ?? result.signal}`);
}

const listWorkflowsTool = defineTool({
  name: "smol_workflows_list",
  label: "List Workflows",
  description:
    "List the smol-wf workflows of this repository (.agents/workflows and .claude/workflows) as a NAME/PATH/DESCRIPTION table.",
  promptSnippet: "List the smol-wf workflows available in the current repository",
  promptGuidelines: [
    "Use smol_workflows_list when the user asks which workflows exist or wants to pick one to run.",
  ],
  parameters: Type.Object({}),
  async execute(_toolCallId, _params, signal, _onUpdate, ctx) {
    const result = await runHelper(["list"], { cwd: ctx.cwd, signal });
    if (result.code !== 0) throw failure(result, "smol-wf llm list-workflows");
    return {
      content: [{ type: "text", text: result.stdout.trimEnd() || "NAME  PATH  DESCRIPTION" }],
      details: { stderr: result.stderr },
    };
  },
});

const runWorkflowTool = defineTool({
  name: "smol_workflows_run",
  label: "Run Workflow",
  description:
    "Run a smol-wf workflow script and return its JSON report. Use only when the user explicitly asks to run a workflow.",
  promptSnippet: "Run an existing smol-wf workflow script",
  promptGuidelines: [
    "Use smol_workflows_run only when the user explicitly asks to run a workflow or smol-wf script.",
    "smol_workflows_run requires an argsFile; write the args to a JSON or YAML object file before calling it.",
    "Run a new workflow with agentProvider debug first: it is free and checks the script end to end.",
  ],
  parameters: Type.Object({
    path: Type.String({ description: "Workflow script (.mjs/.js), relative to the project directory or absolute" }),
    argsFile: Type.String({ description: "JSON or YAML file holding the args object (.yaml/.yml are read as YAML)" }),
    tokenBudget: Type.Optional(
      Type.Union([
        Type.String({ description: "Output-token allowance, or 0/none/- to omit it" }),
        Type.Number({ description: "Output-token allowance (--budget-allowance)" }),
      ]),
    ),
    agentProvider: Type.Optional(
      StringEnum(["claude-code", "codex", "opencode", "pi", "debug"] as const, {
        description: "Provider for agent() calls; default SMOL_WF_AGENT_PROVIDER, else smol-wf's default",
      }),
    ),
    maxParallelAgents: Type.Optional(Type.Integer({ minimum: 1, description: "Agents running at once; default 4" })),
  }),
  async execute(_toolCallId, params, signal, _onUpdate, ctx) {
    const workflowPath = path.resolve(ctx.cwd, params.path);
    if (!(await isFile(workflowPath))) throw new Error(`workflow script does not exist: ${params.path}`);
    const argsPath = path.resolve(ctx.cwd, params.argsFile);
    if (!(await isFile(argsPath))) throw new Error(`args file does not exist: ${params.argsFile}`);
    // JSON or YAML: smol-wf run --args-from-file reports parse errors itself.

    const env: Record<string, string> = {};
    if (params.agentProvider) env.SMOL_WF_AGENT_PROVIDER = params.agentProvider;
    if (params.maxParallelAgents) env.SMOL_WF_MAX_PARALLEL_AGENTS = String(params.maxParallelAgents);
    const budget = String(params.tokenBudget ?? 0);

    const result = await runHelper(["run", workflowPath, argsPath, budget], { cwd: ctx.cwd, env, signal });
    if (result.code !== 0) throw failure(result, "smol-wf run");

    let report: unknown = null;
    try {
      report = JSON.parse(result.stdout);
    } catch {
      // Keep the raw stdout as the content.
    }
    return {
      content: [{ type: "text", text: result.stdout.trimEnd() }],
      details: { report, stderr: result.stderr, workflowPath, argsPath },
    };
  },
});

export default function (pi: ExtensionAPI) {
  pi.registerTool(listWorkflowsTool);
  pi.registerTool(runWorkflowTool);
}
