// smol-workflows for opencode: two tools that shell out to the installed `smol-wf`
// through the shared helper ./scripts/smol-wf.sh (it never downloads or builds smol-wf).
import { tool } from '@opencode-ai/plugin'
import { spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const helperPath = path.join(here, 'scripts', 'smol-wf.sh')
const PROVIDERS = ['claude-code', 'codex', 'opencode', 'pi', 'debug']

async function isFile(file) {
  try {
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}

function runHelper(args, { cwd, env, signal }) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [helperPath, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    const abort = () => child.kill('SIGTERM')
    signal?.addEventListener('abort', abort, { once: true })
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', abort)
      resolve({ code, signal: sig, stdout, stderr })
    })
  })
}

function failure(result, what) {
  const message = result.stderr.trim() || `${what} failed with exit code ${result.code ?? result.signal}`
  return new Error(message)
}

const listWorkflowsTool = tool({
  description:
    'List the smol-wf workflows of this repository (.agents/workflows and .claude/workflows) as a NAME/PATH/DESCRIPTION table.',
  args: {},
  async execute(_args, context) {
    const result = await runHelper(['list'], { cwd: context.directory, signal: context.abort })
    if (result.code !== 0) throw failure(result, 'smol-wf llm list-workflows')
    return {
      output: result.stdout.trimEnd() || 'NAME  PATH  DESCRIPTION',
      metadata: { stderr: result.stderr },
    }
  },
})

const runWorkflowTool = tool({
  description:
    'Run a smol-wf workflow script and return its JSON report. Use only when the user explicitly asks to run a workflow; write its args to a JSON or YAML object file first.',
  args: {
    path: tool.schema.string().describe('Workflow script (.mjs/.js), relative to the project directory or absolute'),
    argsFile: tool.schema.string().describe('JSON or YAML file holding the args object (.yaml/.yml are read as YAML)'),
    tokenBudget: tool.schema
      .union([tool.schema.string(), tool.schema.number()])
      .optional()
      .describe('Output-token allowance (--budget-allowance); 0, none or - omits it'),
    agentProvider: tool.schema
      .enum(PROVIDERS)
      .optional()
      .describe('Provider for agent() calls; default SMOL_WF_AGENT_PROVIDER, else smol-wf default'),
    maxParallelAgents: tool.schema.number().int().positive().optional().describe('Agents running at once; default 4'),
  },
  async execute(input, context) {
    const workflowPath = path.resolve(context.directory, input.path)
    if (!(await isFile(workflowPath))) throw new Error(`workflow script does not exist: ${input.path}`)
    const argsPath = path.resolve(context.directory, input.argsFile)
    if (!(await isFile(argsPath))) throw new Error(`args file does not exist: ${input.argsFile}`)
    // JSON or YAML: smol-wf run --args-from-file reports parse errors itself.

    const env = {}
    if (input.agentProvider) env.SMOL_WF_AGENT_PROVIDER = input.agentProvider
    if (input.maxParallelAgents) env.SMOL_WF_MAX_PARALLEL_AGENTS = String(input.maxParallelAgents)
    const budget = String(input.tokenBudget ?? 0)

    const result = await runHelper(['run', workflowPath, argsPath, budget], {
      cwd: context.directory,
      env,
      signal: context.abort,
    })
    if (result.code !== 0) throw failure(result, 'smol-wf run')

    let report = null
    try {
      report = JSON.parse(result.stdout)
    } catch {
      // Keep the raw stdout as the output.
    }
    return {
      output: result.stdout.trimEnd(),
      metadata: { report, runID: report?.runID ?? null, stderr: result.stderr, workflowPath, argsPath },
    }
  },
})

// opencode calls every exported function as a plugin, so this is the only export.
export const SmolWorkflowsPlugin = async () => ({
  tool: {
    smol_workflows_list: listWorkflowsTool,
    smol_workflows_run: runWorkflowTool,
  },
})
