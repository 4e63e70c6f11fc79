// A pi extension that returns structured output: one tool whose parameters are the JSON
// schema from SMOL_WF_OUTPUT_SCHEMA. It answers with the arguments it got and sets
// `terminate: true`, so pi ends the run on that call without another model request.
// Load it with `pi --extension tests/fakellm/pi_structured_output.ts`.
import type { ExtensionAPI } from "@mariozechner/pi-coding-agent";
import { Type } from "typebox";

const schema = JSON.parse(process.env.SMOL_WF_OUTPUT_SCHEMA ?? '{"type":"object"}');

export default function (pi: ExtensionAPI) {
  pi.registerTool({
    name: "smol_wf_structured_output",
    label: "Structured Output",
    description:
      "Return the final answer as JSON matching the required schema. Call it exactly once, as your last action.",
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
