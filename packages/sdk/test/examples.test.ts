// Every TSDoc `@example` of the sdk's entry points runs as a test: extracted from the sources,
// written beside the package (so `@espada/infra-sdk` resolves to its build through the exports map)
// and run with tsx in a fresh node process; an example that throws or prints nothing fails.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const sdkDir = fileURLToPath(new URL("..", import.meta.url));
const SOURCES = [
  "src/simpleProvider.ts",
  "src/defineCommand.ts",
  "src/call.ts",
  "src/testing/host.ts",
  "src/testing/conformance.ts",
];

/** The ```ts blocks of every `@example` tag in `file`, with the comment's ` * ` prefixes removed. */
function examplesOf(file: string): string[] {
  const text = readFileSync(join(sdkDir, file), "utf8");
  const out: string[] = [];
  for (const comment of text.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const lines = comment.split("\n").map((line) => line.replace(/^\s*\*( |$)/, ""));
    const body = lines.join("\n");
    const at = body.indexOf("@example");
    if (at < 0) continue;
    const block = /```ts\n([\s\S]*?)```/.exec(body.slice(at));
    if (block?.[1] !== undefined) out.push(block[1]);
  }
  return out;
}

const dir = mkdtempSync(join(sdkDir, ".examples-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TSDoc @example blocks run", () => {
  const all = SOURCES.flatMap((file) => examplesOf(file).map((code, index) => ({ file, index, code })));

  it("the main entry points carry examples", () => {
    expect(new Set(all.map((e) => e.file))).toEqual(new Set(SOURCES));
  });

  for (const { file, index, code } of all) {
    it(`${file} example ${index + 1}`, () => {
      const path = join(dir, `${file.replace(/[/.]/g, "_")}_${index}.mts`);
      writeFileSync(path, code);
      const run = spawnSync(process.execPath, ["--import", "tsx", path], {
        cwd: sdkDir,
        encoding: "utf8",
        env: { ...process.env, ESPADA_LOG_LEVEL: "silent" },
      });
      expect(run.stderr).not.toMatch(/Error/);
      expect(run.status).toBe(0);
      expect(run.stdout.trim()).not.toBe("");
    });
  }
});
