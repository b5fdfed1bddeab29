// Runs the README's code blocks as a new user would: the example in a fresh folder holding only its
// `espada.yaml` and the installed packages, and the manifest through the discoverer.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPluginDiscoverer, formatConfigIssue, parseInfrastructureConfigYaml } from "./index.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(packageDir, "..", "..");

/** The README's fenced blocks of one language, in order. */
function blocks(language: string): string[] {
  const text = readFileSync(join(packageDir, "README.md"), "utf8");
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)]
    .filter((match) => match[1] === language)
    .map((match) => match[2] ?? "");
}

/** The instance id's random part, which differs on every run. */
const withoutRandomId = (text: string) => text.replace(/(local-cloud-)[0-9a-f]{8}\b/g, "$1<id>");

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "espada-discovery-readme-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("README", () => {
  it("the example runs as written and prints what the README shows", () => {
    // What `npm install @espada/infra-discovery @espada/infra-core @espada/infra-registry` gives it.
    mkdirSync(join(dir, "node_modules", "@espada"), { recursive: true });
    for (const [name, folder] of [
      ["infra-discovery", "discovery"],
      ["infra-registry", "registry"],
      ["infra-core", "core"],
    ] as const) {
      symlinkSync(join(repoRoot, "packages", folder), join(dir, "node_modules", "@espada", name), "dir");
    }
    const [yaml] = blocks("yaml");
    const [example] = blocks("js");
    const [printed] = blocks("text");
    writeFileSync(join(dir, "espada.yaml"), yaml ?? "");
    writeFileSync(join(dir, "example.mjs"), example ?? "");
    const env: NodeJS.ProcessEnv = { ...process.env, ESPADA_REPO: repoRoot };
    delete env["ESPADA_INFRA_CONFIG"];
    const run = spawnSync(process.execPath, ["example.mjs"], { cwd: dir, encoding: "utf8", env });
    expect(run.status, run.stderr).toBe(0);
    expect(withoutRandomId(run.stdout)).toBe(withoutRandomId(printed ?? "-"));
    expect(run.stderr).toBe("");
  });

  it("the manifest example is a valid manifest: discovery registers its provider, no problem", async () => {
    const [manifest] = blocks("json");
    const plugin = join(dir, "acme-cloud");
    mkdirSync(join(plugin, "dist"), { recursive: true });
    writeFileSync(join(plugin, "infrastructure.plugin.json"), manifest ?? "");
    writeFileSync(join(plugin, "dist", "acme.js"), "export const acme = {};\n");
    const discoverer = createPluginDiscoverer({ config: { localDirs: [plugin], installedDirs: [] } });
    const result = await discoverer.discover();
    expect(result.problems).toEqual([]);
    expect(result.providers.map((p) => [p.meta.id, p.source, p.plugin.name, p.plugin.version])).toEqual([
      ["acme", "local", "acme-cloud", "1.4.0"],
    ]);
    discoverer.close();
  });

  it("the configuration table's formatConfigIssue line is what it prints", () => {
    const text = readFileSync(join(packageDir, "README.md"), "utf8");
    const shown = /`(espada\.yaml:4:7 [^`]+)`/.exec(text)?.[1];
    const parsed = parseInfrastructureConfigYaml(
      "extensions:\n  infrastructure:\n    sessionConfig:\n      tmeout: 5\n",
      { file: "espada.yaml" },
    );
    expect(parsed.success ? [] : parsed.errors.map(formatConfigIssue)).toEqual([shown]);
  });
});
