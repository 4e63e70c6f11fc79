// smol-wf's structured output for pi, which has no schema option of its own.
//
// Loaded with `pi --extension <this file>` by smolwf/providers/pi.py. It registers one tool,
// `smol_wf_structured_output`, whose parameters are the JSON Schema in the environment
// variable SMOL_WF_OUTPUT_SCHEMA (always an object schema: smol-wf wraps any other schema
// as `{value: ...}` before passing it, because tool parameters must be an object). The tool
// answers with the arguments it got, in `details.structured`, and sets `terminate: true`
// so pi ends the run on that call without another model request. smol-wf reads the
// arguments back from the `tool_execution_end` event of the JSON stream.
import type { ExtensionAPI } from "@mariozechner/pi-coding-agent";
import { Type } from "typebox";

const TOOL_NAME = "smol_wf_structured_output";
const schema = JSON.parse(process.env.SMOL_WF_OUTPUT_SCHEMA ?? '{"type":"object"}');

export default function (pi: ExtensionAPI) {
  pi.registerTool({
    name: TOOL_NAME,
    label: "Structured Output",
    description:
      "Return the final answer as JSON matching the required schema. " +
      "Call it exactly once, as your last action.",
    parameters: Type.Unsafe(schema),
    async execute(_toolCallId, params) {
      return {
        content: [{ type: "text", text: JSON.stringify(params) }],
        details: { structured: params },
        terminate: true,
      };
    },
  });
}
