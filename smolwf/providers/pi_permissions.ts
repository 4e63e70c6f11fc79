// smol-wf's permission level for pi, which has no permission prompts and no sandbox.
//
// Loaded with `pi --extension <this file>` by smolwf/providers/pi.py on every call. The
// level itself is the `--tools` allowlist smol-wf passes (none for `full`): pi registers
// only the tools it names, and no setting or extension can add one. What an extension can
// do is switch registered tools off (a plan mode calling `pi.setActiveTools` at
// `session_start`), which would silently run the call with less than its level. So right
// before the agent starts, this turns every registered tool on: exactly the allowlist for
// `read-only`/`edit`, and every built-in and extension tool for `full` (pi's own default
// leaves grep, find and ls off).
import type { ExtensionAPI } from "@mariozechner/pi-coding-agent";

export default function (pi: ExtensionAPI) {
  pi.on("before_agent_start", async () => {
    pi.setActiveTools(pi.getAllTools().map((tool) => tool.name));
  });
}
