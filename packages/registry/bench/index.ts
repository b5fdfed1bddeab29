// Executor benchmarks: per-command overhead over a direct provider call, the cost of a command in
// a session whose history is at its cap, and throughput. Run with `pnpm bench`; writes .bench/results.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createAllowAllGate, createExecutionContext } from "@espada/infra-core";
import { createInfrastructureSessionManager } from "@espada/infra-sessions";
import type * as Registry from "../src/index.js";
import { builtEntry } from "../../../tooling/bench/builtEntry.js";
import { FakeProvider } from "../test/fakeProvider.js";

// The built package, as it ships (tsx would add its own helpers to every function of the source).
const { InfrastructureProviderRegistry, createCommandExecutor } = (await import(
  builtEntry(join(import.meta.dirname, ".."))
)) as typeof Registry;

interface BenchResult {
  name: string;
  value: number;
  unit: string;
  better: "lower" | "higher";
  target?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function setup(parallelLimit: number) {
  const registry = new InfrastructureProviderRegistry();
  const provider = new FakeProvider({ id: "bench" });
  registry.registerFactory(provider.meta, () => provider);
  await registry.createAndInitializeProvider("bench", { instanceId: "b" });
  // the real session manager, in memory: what an embedding without persistence runs
  const sessions = await createInfrastructureSessionManager({ sessionConfig: { persistState: false } });
  const session = await sessions.createSession({
    userId: "bench-user",
    providerId: "bench",
    instanceId: "b",
  });
  const executor = createCommandExecutor({
    providers: registry,
    gate: createAllowAllGate(),
    sessions,
    events: registry.events,
    config: { execution: { parallelLimit } },
  });
  let seen = 0;
  registry.events.on("*", () => {
    seen++;
  });
  return { registry, provider, executor, sessions, sessionId: session.id, seen: () => seen };
}

async function overhead(): Promise<number> {
  const { registry, provider, executor, sessions, sessionId, seen } = await setup(5);
  const params = { message: "hello", token: "t0ps3cret" };
  const context = createExecutionContext({});
  const rounds = 5;
  const perRound = 4_000;
  const overheads: number[] = [];
  // Warm up both paths.
  for (let i = 0; i < 3_000; i++) {
    await provider.executeCommand("echo", params, context);
    await executor.execute({ instanceId: "b", commandId: "echo", params, sessionId });
  }
  for (let r = 0; r < rounds; r++) {
    const direct: number[] = [];
    const viaExecutor: number[] = [];
    for (let i = 0; i < perRound; i++) {
      let t = performance.now();
      await provider.executeCommand("echo", params, context);
      direct.push(performance.now() - t);
      t = performance.now();
      const outcome = await executor.execute({ instanceId: "b", commandId: "echo", params, sessionId });
      viaExecutor.push(performance.now() - t);
      if (outcome.status !== "succeeded") throw new Error(`bench command failed: ${outcome.status}`);
    }
    overheads.push((median(viaExecutor) - median(direct)) * 1_000);
  }
  if (seen() === 0) throw new Error("events were not emitted");
  await sessions.shutdown();
  await registry.shutdown();
  return median(overheads);
}

async function throughput(): Promise<number> {
  const { registry, executor, sessions, sessionId } = await setup(5);
  const total = 3_000;
  const start = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: total }, () =>
      executor.execute({ instanceId: "b", commandId: "sleep", params: { ms: 1 }, sessionId }),
    ),
  );
  const seconds = (performance.now() - start) / 1_000;
  if (outcomes.some((o) => o.status !== "succeeded")) throw new Error("a throughput command failed");
  await sessions.shutdown();
  await registry.shutdown();
  return total / seconds;
}

/**
 * One command through the executor in a session whose history is at its cap (the real session
 * manager, in memory, `maxEntries` 1,000, filled past the cap so trimming runs) ÷ the same command
 * without a session, timed one after the other (interleaved), median per round, median of rounds.
 */
async function fullHistory(): Promise<{ ratio: number; withUs: number; withoutUs: number }> {
  const registry = new InfrastructureProviderRegistry();
  const provider = new FakeProvider({ id: "bench" });
  registry.registerFactory(provider.meta, () => provider);
  await registry.createAndInitializeProvider("bench", { instanceId: "b" });
  const maxEntries = 1_000;
  const sessions = await createInfrastructureSessionManager({
    sessionConfig: { persistState: false },
    commandConfig: { history: { maxEntries } },
  });
  const session = await sessions.createSession({
    userId: "bench-user",
    providerId: "bench",
    instanceId: "b",
  });
  const executor = createCommandExecutor({
    providers: registry,
    gate: createAllowAllGate(),
    sessions,
    events: registry.events,
    config: { history: { maxEntries } },
  });
  const params = { message: "hello", token: "t0ps3cret" };
  const withSession = { instanceId: "b", commandId: "echo", params, sessionId: session.id } as const;
  const withoutSession = { instanceId: "b", commandId: "echo", params, userId: "bench-user" } as const;
  // fill the history past its cap (and warm both paths up)
  for (let i = 0; i < maxEntries + 500; i++) {
    await executor.execute(withSession);
    await executor.execute(withoutSession);
  }
  const kept = await sessions.getHistory(session.id);
  if (kept.length !== maxEntries)
    throw new Error(`history holds ${kept.length} entries, expected ${maxEntries}`);
  const rounds = 7;
  const perRound = 3_000;
  const ratios: number[] = [];
  const withTimes: number[] = [];
  const withoutTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < perRound; i++) {
      let t = performance.now();
      const plain = await executor.execute(withoutSession);
      a.push(performance.now() - t);
      t = performance.now();
      const inSession = await executor.execute(withSession);
      b.push(performance.now() - t);
      if (plain.status !== "succeeded" || inSession.status !== "succeeded")
        throw new Error("bench command failed");
    }
    const without = median(a);
    const within = median(b);
    ratios.push(within / without);
    withTimes.push(within * 1_000);
    withoutTimes.push(without * 1_000);
  }
  const after = await sessions.getHistory(session.id);
  if (after.length !== maxEntries || after.at(-1)?.commandId !== "echo")
    throw new Error("history was not kept at its cap");
  await sessions.shutdown();
  await registry.shutdown();
  return { ratio: median(ratios), withUs: median(withTimes), withoutUs: median(withoutTimes) };
}

const overheadUs = await overhead();
const history = await fullHistory();
console.log(
  `executor.full_history: ${history.withUs.toFixed(1)} us per command in a session with ${1_000} history entries, ${history.withoutUs.toFixed(1)} us without a session`,
);
const perSecond = await throughput();
const results: BenchResult[] = [
  {
    name: "executor.overhead_us",
    value: Number(overheadUs.toFixed(2)),
    unit: "us",
    better: "lower",
    target: 20,
  },
  {
    name: "executor.full_history.ratio",
    value: Number(history.ratio.toFixed(3)),
    unit: "ratio",
    better: "lower",
    target: 2,
  },
  { name: "executor.throughput_per_s", value: Math.round(perSecond), unit: "ops/s", better: "higher" },
];
mkdirSync(new URL("../.bench/", import.meta.url), { recursive: true });
writeFileSync(new URL("../.bench/results.json", import.meta.url), JSON.stringify(results, null, 2) + "\n");
console.log(JSON.stringify(results, null, 2));
