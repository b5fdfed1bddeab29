// Benchmarks of @espada/infra-sessions; writes .bench/results.json. Run with `pnpm bench`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InfrastructureSession } from "@espada/infra-core";
import { createInfrastructureSessionManager, FileSessionStorage, FileStateStore } from "../src/index.js";

interface Result {
  name: string;
  value: number;
  unit: string;
  better: "lower" | "higher";
  target?: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function memoryOps(): Promise<Result> {
  const manager = await createInfrastructureSessionManager({ sessionConfig: { persistState: false, maxConcurrent: 1_000_000_000 } });
  const cycle = async (): Promise<void> => {
    const s = await manager.createSession({ userId: "bench", variables: { a: 1 } });
    await manager.updateVariables(s.id, { b: 2 });
    await manager.getSession(s.id);
  };
  for (let i = 0; i < 5000; i++) await cycle(); // warm-up
  const rates: number[] = [];
  for (let round = 0; round < 5; round++) {
    const n = 30_000;
    const start = performance.now();
    for (let i = 0; i < n; i++) await cycle();
    rates.push(n / ((performance.now() - start) / 1000));
  }
  await manager.shutdown();
  return { name: "sessions.memory_ops_per_s", value: Math.round(median(rates)), unit: "ops/s", better: "higher", target: 100_000 };
}

function session(i: number): InfrastructureSession {
  return {
    id: `session-${i}`,
    userId: `user-${i % 50}`,
    state: "active",
    environment: "production",
    providerId: "aws",
    instanceId: "aws-main",
    auth: { method: "api-key", credentials: { apiKey: `key-${i}` }, options: { region: "eu-west-1" } },
    resources: { [`vm-${i}`]: { id: `vm-${i}`, type: "compute", providerId: "aws", updatedAt: 1 } },
    variables: { cluster: "main", replicas: 3, tags: ["a", "b"] },
    pendingOperations: [],
    metadata: { source: "bench" },
    createdAt: Date.now(),
    lastActivityAt: Date.now(),
    expiresAt: Date.now() + 3_600_000_000,
  };
}

async function reload(dir: string): Promise<Result> {
  const storage = await FileSessionStorage.open({ directory: dir, env: {} });
  const queue = Array.from({ length: 10_000 }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = queue.pop(); i !== undefined; i = queue.pop()) await storage.write(session(i), 0);
    }),
  );
  await storage.close();
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    const manager = await createInfrastructureSessionManager({ stateDirectory: dir, env: {}, sessionConfig: { maxConcurrent: 1_000_000 } });
    const count = (await manager.listSessions({ state: "active" })).length;
    times.push(performance.now() - start);
    await manager.shutdown();
    if (count !== 10_000) throw new Error(`reloaded ${count} sessions, expected 10000`);
  }
  return { name: "sessions.reload_10k_ms", value: Math.round(median(times) * 10) / 10, unit: "ms", better: "lower", target: 500 };
}

async function filePut(dir: string): Promise<Result> {
  const store = await FileStateStore.open({ directory: dir });
  const n = 300;
  const start = performance.now();
  for (let i = 0; i < n; i++) await store.put(`k/${i % 20}`, { i, payload: "x".repeat(512) });
  const us = ((performance.now() - start) * 1000) / n;
  await store.close();
  return { name: "sessions.file_put_us", value: Math.round(us), unit: "us", better: "lower" };
}

const work = mkdtempSync(join(tmpdir(), "espada-sessions-bench-"));
try {
  const results: Result[] = [];
  results.push(await memoryOps());
  results.push(await reload(join(work, "reload")));
  results.push(await filePut(join(work, "put")));
  const out = join(import.meta.dirname, "..", ".bench");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
