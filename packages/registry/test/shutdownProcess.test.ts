import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const child = fileURLToPath(new URL("./fixtures/shutdownChild.mjs", import.meta.url));

interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly killed: boolean;
}

/** Runs the child; kills it when it has not exited by itself within `limitMs`. */
function runChild(limitMs: number): Promise<ChildResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [child], { cwd: packageDir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => {
      killed = true;
      proc.kill("SIGKILL");
    }, limitMs);
    proc.on("exit", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, killed });
    });
  });
}

describe("shutdown in a real process", () => {
  beforeAll(() => {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const build = spawnSync(process.execPath, [tsc, "-b", packageDir], { encoding: "utf8" });
    expect(build.status, build.stdout + build.stderr).toBe(0);
  }, 120_000);

  it("forces a provider whose stop never resolves, reports it, and the process exits by itself", async () => {
    const result = await runChild(20_000);
    expect(result.killed, `child had to be killed; stderr: ${result.stderr}`).toBe(false);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout.trim()) as {
      report: { forced: { instanceId: string; reason: string }[]; stopped: string[] };
      outcome: string;
      code: string;
    };
    expect(printed.report.forced).toEqual([{ instanceId: "h", reason: "did not stop within 200 ms" }]);
    expect(printed.report.stopped).toEqual([]);
    expect(printed.outcome).toBe("cancelled");
    expect(printed.code).toBe("SHUTDOWN");
  }, 60_000);
});
