// Starts framework instances (test/instance.ts) as child processes sharing one Redis, and talks to
// them one JSON line at a time; every answer is awaited (no sleeps).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const INSTANCE = fileURLToPath(new URL("./instance.ts", import.meta.url));

/** A framework instance in another process. */
export interface Instance {
  readonly pid: number;
  /** Sends one request; resolves with its value, rejects with its error (code and message). */
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** Closes the facade and the store, then waits for the process to exit. */
  close(): Promise<void>;
}

/** Starts an instance whose state is in Redis at `url` under `keyPrefix`; resolves once it is ready. */
export function startInstance(
  url: string,
  keyPrefix: string,
  env: Readonly<Record<string, string>> = {},
): Promise<Instance> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", INSTANCE], {
    env: { ...process.env, ESPADA_REDIS_URL: url, ESPADA_REDIS_PREFIX: keyPrefix, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
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
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
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
    const instance: Instance = {
      pid: child.pid ?? -1,
      call: <T>(op: string, args: Record<string, unknown> = {}) =>
        new Promise<T>((resolve, reject) => {
          const id = nextId++;
          waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
          child.stdin?.write(`${JSON.stringify({ id, op, args })}\n`);
        }),
      close: async () => {
        if (child.exitCode === null) {
          await instance.call("close").catch(() => undefined);
          child.stdin?.end();
        }
        await exited;
      },
    };
  });
}
