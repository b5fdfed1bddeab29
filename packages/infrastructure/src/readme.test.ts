// Runs the README's standalone walk-through exactly as written (bash, the built CLI, the repository's
// local-cloud example found by discovery) and checks what it prints.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(packageDir, "..", "..");

function readmeScript(): string {
  const text = readFileSync(join(packageDir, "README.md"), "utf8");
  const start = text.indexOf("<!-- readme-test:start -->");
  const end = text.indexOf("<!-- readme-test:end -->");
  const block = text.slice(start, end);
  return block.slice(block.indexOf("```sh") + 5, block.lastIndexOf("```"));
}

describe("README: standalone espada-infra", () => {
  it("every command of the walk-through works as written", { timeout: 900_000 }, () => {
    const tmp = mkdtempSync(join(tmpdir(), "espada-readme-"));
    try {
      const run = spawnSync("bash", ["-euo", "pipefail", "-c", readmeScript()], {
        cwd: repoRoot,
        encoding: "utf8",
        env: { ...process.env, TMPDIR: tmp, ESPADA_INFRA_CONFIG: "", ESPADA_INFRA_USER: "" },
      });
      const out = `${run.stdout}\n${run.stderr}`;
      expect(run.status, out).toBe(0);
      expect(out).toMatch(/Local Cloud\s+local-cloud\s+cloud\s+1\.0\.0/);
      expect(out).toMatch(/registered 1 provider\(s\)/);
      expect(out).toMatch(/local-cloud\s+local-cloud\s+active/);
      expect(out).toContain("factories:  1");
      expect(out).toContain("succeeded: create-bucket on local-cloud");
      expect(out).toContain('"ok": true');
      expect(out).toContain("waiting for confirmation");
      expect(out).toContain("succeeded: delete-bucket on local-cloud");
      expect(out).toContain('no role of "mallory" grants infra:read');
      expect(out).toContain("waiting for approval");
      expect(out).toMatch(/approval [0-9a-f-]+: approved\nsucceeded: create-database on local-cloud/);
      expect(out).toMatch(/break-glass session \S+ active for alice in production/);
      expect(out).toMatch(/audit log intact: \d+ record\(s\) verified/);
      expect(out).toContain("error [NOT_FOUND]");
      expect(out.match(/exit code (\d)/g)).toEqual(["exit code 1", "exit code 1", "exit code 2"]);
      expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
