// Benchmarks of @espada/infra-sessions; writes .bench/results.json. Run with `pnpm bench`.
//
// Every ratio compares our code path with a plain baseline doing the same I/O, measured side by
// side in one run: the two are interleaved (alternating order), each round gives a median, and the
// result is the median of the rounds. Absolute values are printed beside each ratio. The package is
// measured as it ships (its built `dist`; a `dist` older than `src` is refused), not as tsx rewrites
// the sources (esbuild's `keepNames` wraps every closure created per call in a `__name` call).
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { InfrastructureSession, JsonObject } from "@espada/infra-core";
import type * as Sessions from "../src/index.js";
import { builtEntry } from "../../../tooling/bench/builtEntry.js";

const { createInfrastructureSessionManager, FileSessionStorage } = (await import(
  builtEntry(join(import.meta.dirname, ".."))
)) as typeof Sessions;

interface Result {
  name: string;
  value: number;
  unit: string;
  better: "lower" | "higher";
  target?: number;
}

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const env = { ESPADA_INFRA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64") };

async function memoryOps(): Promise<Result> {
  const manager = await createInfrastructureSessionManager({
    sessionConfig: { persistState: false, maxConcurrent: 1_000_000_000 },
  });
  const cycle = async (): Promise<void> => {
    const s = await manager.createSession({ userId: "bench", variables: { a: 1 } });
    await manager.updateVariables(s.id, { b: 2 });
    await manager.getSession(s.id);
  };
  for (let i = 0; i < 5000; i++) await cycle(); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const n = 30_000;
    const start = performance.now();
    for (let i = 0; i < n; i++) await cycle();
    rates.push(n / ((performance.now() - start) / 1000));
  }
  await manager.shutdown();
  return {
    name: "sessions.memory_ops_per_s",
    value: Math.round(median(rates)),
    unit: "ops/s",
    better: "higher",
    target: 100_000,
  };
}

/** A realistic session: credentials (encrypted at rest), resources, variables, a pending operation. */
function session(i: number, now: number): InfrastructureSession {
  return {
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    userId: `user-${i % 50}`,
    state: "active",
    environment: i % 3 === 0 ? "production" : "staging",
    providerId: "aws",
    instanceId: "aws-main",
    auth: {
      method: "api-key",
      credentials: { apiKey: `key-${i}`, secretKey: `secret-${i}` },
      options: { region: "eu-west-1" },
    },
    resources: {
      [`vm-${i}`]: { id: `vm-${i}`, type: "compute", providerId: "aws", name: `web-${i}`, updatedAt: now },
      [`db-${i}`]: { id: `db-${i}`, type: "database", providerId: "aws", updatedAt: now },
    },
    variables: { cluster: "main", replicas: 3, tags: ["a", "b"], region: "eu-west-1" },
    pendingOperations:
      i % 10 === 0
        ? [
            {
              id: `op-${i}`,
              kind: "confirmation",
              commandId: "vm.delete",
              commandCategory: "manage",
              providerId: "aws",
              instanceId: "aws-main",
              userId: `user-${i % 50}`,
              environment: "production",
              params: { target: `vm-${i}`, force: true },
              dryRun: false,
              createdAt: now,
              reason: "deletes a resource",
            },
          ]
        : [],
    metadata: { source: "bench", client: "cli" },
    createdAt: now,
    lastActivityAt: now,
    expiresAt: now + 3_600_000_000,
  };
}

/** The plain baseline: list the directory, read every file synchronously and `JSON.parse` it. */
function rawRead(dir: string): number {
  let count = 0;
  for (const name of readdirSync(dir)) {
    const value: unknown = JSON.parse(readFileSync(join(dir, name), "utf8"));
    if (typeof value === "object" && value !== null) count++;
  }
  return count;
}

/** Persists `total` sessions in `dir` through the file storage (encrypted credentials). */
async function persistSessions(dir: string, total: number): Promise<void> {
  const storage = await FileSessionStorage.open({ directory: dir, env });
  const now = Date.now();
  const queue = Array.from({ length: total }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = queue.pop(); i !== undefined; i = queue.pop()) await storage.write(session(i, now), 0);
    }),
  );
  await storage.close();
}

async function reload(dir: string, total: number): Promise<Result[]> {
  await persistSessions(dir, total);
  const records = join(dir, "records");
  const reloadOnce = async (): Promise<number> => {
    const start = performance.now();
    const manager = await createInfrastructureSessionManager({
      stateDirectory: dir,
      env,
      sessionConfig: { maxConcurrent: 1_000_000 },
    });
    const count = (await manager.listSessions({ state: "active" })).length;
    const ms = performance.now() - start;
    await manager.shutdown();
    if (count !== total) throw new Error(`reloaded ${count} sessions, expected ${total}`);
    return ms;
  };
  const rawOnce = (): number => {
    const start = performance.now();
    const count = rawRead(records);
    const ms = performance.now() - start;
    if (count !== total) throw new Error(`read ${count} files, expected ${total}`);
    return ms;
  };
  await reloadOnce(); // warm-up (page cache, JIT)
  rawOnce();
  const ours: number[] = [];
  const raw: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < 7; r++) {
    let a: number;
    let b: number;
    if (r % 2 === 0) {
      a = await reloadOnce();
      b = rawOnce();
    } else {
      b = rawOnce();
      a = await reloadOnce();
    }
    ours.push(a);
    raw.push(b);
    ratios.push(a / b);
    if (process.env["BENCH_DEBUG"] !== undefined)
      console.log(`round ${r}: reload ${a.toFixed(1)} ms raw ${b.toFixed(1)} ms`);
  }
  const ratio = median(ratios);
  console.log(
    `sessions.reload_vs_raw: ${ratio.toFixed(3)} (reload of ${total} sessions ${median(ours).toFixed(1)} ms, raw read + JSON.parse ${median(raw).toFixed(1)} ms)`,
  );
  return [
    {
      name: "sessions.reload_vs_raw.ratio",
      value: round(ratio, 3),
      unit: "ratio",
      better: "lower",
      target: 1.5,
    },
    { name: "sessions.reload_10k_ms", value: round(median(ours), 1), unit: "ms", better: "lower" },
  ];
}

/** The plain baseline: write the bytes to a temp file, fsync, rename over the target, fsync the directory. */
function rawDurableWrite(dir: string, target: string, bytes: Buffer): void {
  const temp = `${target}.tmp`;
  const fd = openSync(temp, "w", 0o600);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

async function put(dir: string): Promise<Result[]> {
  const manager = await createInfrastructureSessionManager({ stateDirectory: dir, env });
  const now = Date.now();
  const template = session(1, now);
  const created = await manager.createSession({
    userId: template.userId,
    environment: template.environment,
    providerId: "aws",
    instanceId: "aws-main",
    ...(template.auth === undefined ? {} : { auth: template.auth }),
    variables: template.variables,
    metadata: template.metadata,
  });
  await manager.updateResources(created.id, Object.values(template.resources));
  const records = join(dir, "records");
  const recordFile = (): string => {
    const name = readdirSync(records).find((n) => n.endsWith(".json"));
    if (name === undefined) throw new Error("no session record file");
    return join(records, name);
  };
  const rawDir = join(dir, "raw");
  mkdirSync(rawDir, { recursive: true });
  let counter = 0;
  const update = async (): Promise<void> => {
    const variables: JsonObject = { counter: counter++ };
    await manager.updateVariables(created.id, variables);
  };
  for (let i = 0; i < 30; i++) await update(); // warm-up
  const bytes = readFileSync(recordFile()); // the bytes one update writes
  const rawTarget = join(rawDir, "session.json");
  for (let i = 0; i < 30; i++) rawDurableWrite(rawDir, rawTarget, bytes);
  const ours: number[] = [];
  const raw: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < 7; r++) {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 60; i++) {
      const first = i % 2 === 0;
      if (!first) {
        const t = performance.now();
        rawDurableWrite(rawDir, rawTarget, bytes);
        b.push(performance.now() - t);
      }
      const t = performance.now();
      await update();
      a.push(performance.now() - t);
      if (first) {
        const t2 = performance.now();
        rawDurableWrite(rawDir, rawTarget, bytes);
        b.push(performance.now() - t2);
      }
    }
    ours.push(median(a));
    raw.push(median(b));
    ratios.push(median(a) / median(b));
    if (process.env["BENCH_DEBUG"] !== undefined)
      console.log(`round ${r}: ours ${median(a).toFixed(2)} ms raw ${median(b).toFixed(2)} ms`);
  }
  const stored = await manager.getSession(created.id);
  await manager.shutdown();
  if (stored?.variables["counter"] !== counter - 1) throw new Error("the last update was not stored");
  const ratio = median(ratios);
  const us = (ms: number): string => `${(ms * 1000).toFixed(0)} us`;
  console.log(
    `sessions.put_vs_raw: ${ratio.toFixed(3)} (durable session update ${us(median(ours))}, raw write + fsync + rename + dir fsync of the same ${bytes.length} bytes ${us(median(raw))})`,
  );
  return [
    {
      name: "sessions.put_vs_raw.ratio",
      value: round(ratio, 3),
      unit: "ratio",
      better: "lower",
      target: 1.5,
    },
    { name: "sessions.file_put_us", value: Math.round(median(ours) * 1000), unit: "us", better: "lower" },
  ];
}

const only = process.argv[2];
const fixture = process.argv[3];
if (fixture !== undefined) {
  // profiling aids: `tsx bench/index.ts fixture <dir>` persists 10,000 sessions once;
  // `node --cpu-prof --import tsx bench/index.ts reload-once <dir>` reloads them once
  if (only === "fixture") await persistSessions(fixture, 10_000);
  else if (only === "reload-once") {
    const cpuMs = (since: NodeJS.CpuUsage): string =>
      `${((process.cpuUsage(since).user + process.cpuUsage(since).system) / 1000).toFixed(0)} ms cpu`;
    for (let k = 0; k < 2; k++) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const manager = await createInfrastructureSessionManager({
        stateDirectory: fixture,
        env,
        sessionConfig: { maxConcurrent: 1_000_000 },
      });
      const count = (await manager.listSessions({ state: "active" })).length;
      console.log(
        `reloaded ${count} sessions in ${(performance.now() - start).toFixed(1)} ms, ${cpuMs(cpu)}`,
      );
      await manager.shutdown();
    }
    const t = performance.now();
    const rawCpu = process.cpuUsage();
    console.log(
      `raw read of ${rawRead(join(fixture, "records"))} files in ${(performance.now() - t).toFixed(1)} ms, ${cpuMs(rawCpu)}`,
    );
  }
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), "espada-sessions-bench-"));
try {
  const results: Result[] = [];
  if (only === undefined || only === "memory") results.push(await memoryOps());
  if (only === undefined || only === "reload") results.push(...(await reload(join(work, "reload"), 10_000)));
  if (only === undefined || only === "put") results.push(...(await put(join(work, "put"))));
  if (only === undefined) {
    const out = join(import.meta.dirname, "..", ".bench");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(JSON.stringify(results, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
