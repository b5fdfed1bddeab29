// What loading discovery and running its `status`-path work pulls into a fresh process, against the
// built package (dist), as a CLI start would.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir, writeFiles, writePlugin } from "../test/fixtures.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

let dir: string;
let remove: () => void;
beforeEach(() => {
  ({ dir, remove } = tempDir());
});
afterEach(() => remove());

describe("a CLI start", () => {
  it("loads espada.yaml and discovers a local plugin without loading node:crypto", () => {
    writePlugin(join(dir, "plugins", "echo"), "echo", ["echo"]);
    writeFiles(dir, {
      "espada.yaml":
        "extensions:\n  infrastructure:\n    discoveryConfig:\n      installedDirs: []\n      localDirs: [plugins]\n",
    });
    const script = `
const { createPluginDiscoverer, loadInfrastructureConfig } = await import("@espada/infra-discovery");
const loaded = await loadInfrastructureConfig({ cwd: ${JSON.stringify(dir)}, env: {} });
if (!loaded.success) throw new Error(JSON.stringify(loaded.errors));
const discoverer = createPluginDiscoverer({ config: loaded.config.discoveryConfig, cwd: ${JSON.stringify(dir)} });
const found = await discoverer.discover();
console.log(JSON.stringify({
  providers: found.providers.map((p) => p.meta.id),
  problems: found.problems,
  crypto: process.moduleLoadList.includes("NativeModule crypto"),
}));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: packageDir,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ providers: ["echo"], problems: [], crypto: false });
  });
});
