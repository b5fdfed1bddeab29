import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkspace } from "./support/stack.js";
import type { Workspace } from "./support/stack.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const child = fileURLToPath(new URL("./fixtures/fullFlow.mjs", import.meta.url));
const trackTimers = fileURLToPath(new URL("./fixtures/trackTimers.mjs", import.meta.url));

interface ChildResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly killed: boolean;
}

/** Runs the child; kills it when it has not exited by itself within `limitMs` (a generous bound, not a measurement). */
function runChild(dir: string, limitMs: number): Promise<ChildResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ["--import", trackTimers, child, dir], {
      cwd: packageDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
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

describe("closing the whole stack in a real process", () => {
  let workspace: Workspace;

  beforeEach(async () => {
    workspace = await createWorkspace();
  });

  afterEach(async () => {
    await workspace.remove();
  });

  it("registry shutdown + executor, session manager and logger close leave no open handle: the process exits by itself", async () => {
    const result = await runChild(workspace.root, 30_000);
    expect(result.killed, `child had to be killed; stderr: ${result.stderr}`).toBe(false);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout.trim()) as {
      asked: string;
      done: string;
      stopped: string[];
      forced: unknown[];
      timers: unknown[];
      resources: string[];
    };
    expect(printed).toMatchObject({ asked: "pending", done: "succeeded", stopped: ["cloud-1"], forced: [] });
    // no timer is left scheduled, not even an unref()ed one (health checks, the session sweep, the lock refresh)
    expect(printed.timers).toEqual([]);
    // libuv holds nothing but, at most, the close of the log file that logger.close() started
    expect(printed.resources.filter((r) => r !== "CloseReq")).toEqual([]);
    expect(await workspace.readAll()).not.toContain("k-123");
  }, 60_000);
});
