// Starts a framework instance (a script speaking one JSON line per request) as a child process and
// talks to it; every answer is awaited (no sleeps). Shared by the tests and benches that run
// several instances on one store (store-redis, integration-tests).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** A framework instance in another process. */
export interface ProcessInstance {
  readonly pid: number;
  /** Sends one request; resolves with its value, rejects with its error (code and message). */
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** Shuts the framework down, then waits for the process to exit. */
  close(): Promise<void>;
}

/**
 * Runs `node ...nodeArgs` (a script and its arguments, or loader flags first) with `env` added to
 * this process's environment; resolves once the script says it is ready (`{ id: 0 }`).
 */
export function startProcessInstance(
  nodeArgs: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ProcessInstance> {
  const child = spawn(process.execPath, [...nodeArgs], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolveStart, rejectStart) => {
    child.once("exit", (code) => {
      const error = new Error(`instance exited (${String(code)}): ${stderr}`);
      rejectStart(error);
      for (const w of waiting.values()) w.reject(error);
      waiting.clear();
    });
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const message = JSON.parse(line) as {
        id: number;
        ok: boolean;
        value?: unknown;
        error?: { code?: string; message: string };
      };
      if (message.id === 0) {
        resolveStart(instance);
        return;
      }
      const w = waiting.get(message.id);
      waiting.delete(message.id);
      if (w === undefined) return;
      if (message.ok) w.resolve(message.value);
      else
        w.reject(Object.assign(new Error(message.error?.message ?? "failed"), { code: message.error?.code }));
    });
    const instance: ProcessInstance = {
      pid: child.pid ?? -1,
      call: <T>(op: string, callArgs: Record<string, unknown> = {}) =>
        new Promise<T>((resolve, reject) => {
          const id = nextId++;
          waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
          child.stdin.write(`${JSON.stringify({ id, op, args: callArgs })}\n`);
        }),
      close: async () => {
        if (child.exitCode === null) {
          await instance.call("close").catch(() => undefined);
          child.stdin.end();
        }
        await exited;
      },
    };
  });
}
