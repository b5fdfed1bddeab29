import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

function runDemo(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("../dist/main.js", import.meta.url))], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, out }));
  });
}

describe("pnpm demo", () => {
  it("runs local-cloud through the framework, resumes the session in a second process and leaves nothing behind", async () => {
    const { code, out } = await runDemo();
    expect(code, out).toBe(0);
    // The plugin shell found local-cloud by its manifest and started it.
    expect(out).toMatch(/discovery found local-cloud's manifest: @espada\/examples-local-cloud/);
    expect(out).toContain("provider local-cloud instance local-cloud: active");
    // The gate decided: a viewer is denied, the critical delete waits for an admin.
    expect(out).toMatch(/create-instance rogue\n\s+→ denied .*rbac: no role of "bob" grants infra:create/);
    expect(out).toMatch(
      /delete-database billing-database-eu\n\s+→ pending approval [0-9a-f-]+ \[risk [\d.]+\/100 critical\]/,
    );
    // A second process (another pid) found the session and its pending operation on disk.
    const resumed =
      /pid (\d+): session ([0-9a-f-]+) resumed from disk — user alice, environment production/.exec(out);
    expect(resumed?.[1]).not.toBe(String(process.pid));
    expect(out).toContain("pending approval: delete-database");
    expect(out).toContain("alice approves her own request → refused");
    expect(out).toMatch(/resume delete-database\n\s+→ succeeded/);
    expect(out).toMatch(/resume it again\n\s+→ invalid NOT_FOUND/);
    expect(out).toMatch(/rollback-operation [0-9a-f-]+\n\s+→ succeeded/);
    expect(out).toMatch(/query-database billing-database-eu\n\s+→ succeeded .*"invoices":2/);
    expect(out).toMatch(/chain verified: yes/);
    expect(out).toContain("processes left after close: 0 of 2");
    expect(out).toContain("alive after stop: 0");
    // A third process, the espada-infra CLI, reads the same state.
    expect(out).toMatch(
      /espada-infra --config \S+ --user carol approvals list\n.*APPROVAL.*\n\s+[0-9a-f-]+\s+consumed\s+delete-database\s+local-cloud\s+alice\s+production/,
    );
    expect(out).toMatch(
      /espada-infra --config \S+ --user carol audit verify\n\s+audit log intact: \d+ record\(s\) verified/,
    );
    expect(out).toContain("what to try next");
    // Everything lived in one temp directory, removed at the end.
    const stateDir = /state in (\S+)\)/.exec(out)?.[1];
    expect(stateDir).toMatch(/\.espada-infra$/);
    expect(existsSync(stateDir!)).toBe(false);
  });
});
