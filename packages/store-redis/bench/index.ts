// Benchmarks of @espada/infra-store-redis; writes .bench/results.json. Run with `pnpm bench`.
// Starts its own redis-server (loopback, temp dir, appendonly yes + appendfsync always, as the
// store is meant to run). Ratios are measured side by side in one run (interleaved rounds, median).
// The store is measured as it ships: its built `dist` (a `dist` older than `src` is refused), here
// and in the instance processes, not the sources as tsx rewrites them.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import type * as StoreRedis from "../src/index.js";
import { startRedisServer } from "../src/testing.js";
import { startInstance } from "../test/instances.js";
import { builtEntry } from "../../../tooling/bench/builtEntry.js";

const entry = builtEntry(join(import.meta.dirname, ".."));
const { RedisStateStore } = (await import(entry)) as typeof StoreRedis;

interface Result {
  name: string;
  value: number;
  unit: string;
  better: "lower" | "higher";
  target?: number;
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A session-sized record (~400 bytes of JSON). */
const VALUE = {
  id: "sess-4f1c2a",
  userId: "alice",
  state: "active",
  environment: "production",
  providerId: "aws",
  variables: { region: "eu-west-1", team: "platform", ticket: "OPS-1234" },
  resources: {
    "i-0abc": {
      id: "i-0abc",
      type: "instance",
      providerId: "aws",
      name: "web-1",
      updatedAt: 1_700_000_000_000,
    },
  },
  pendingOperations: [],
  metadata: { source: "gateway", client: "cli/1.4.2" },
  createdAt: 1_700_000_000_000,
  lastActivityAt: 1_700_000_100_000,
  expiresAt: 1_700_003_600_000,
};

/** A store put against a bare client SET of the same bytes, one at a time, interleaved rounds. */
async function putVsRaw(url: string): Promise<Result> {
  const store = await RedisStateStore.connect({ url, keyPrefix: "bench-put" });
  const raw = new Redis(url);
  const bytes = JSON.stringify(VALUE);
  // short rounds, many of them: the disk's fsync time drifts over seconds on a shared machine, so
  // a put round and its SET round must sit close together to see the same disk
  const n = 100;
  const rounds = 91;
  // ten rounds share 100 keys: one put in ten creates its record, the others replace it (as before)
  const timePut = async (round: number): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await store.put(`sessions/s-${Math.floor(round / 10)}-${i}`, VALUE);
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  };
  const timeRaw = async (round: number): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await raw.set(`bench-raw:sessions/s-${Math.floor(round / 10)}-${i}`, bytes);
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  };
  for (let w = 0; w < 10; w++) {
    await timePut(-1);
    await timeRaw(-1);
  }
  const puts: number[] = [];
  const raws: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      puts.push(await timePut(r));
      raws.push(await timeRaw(r));
    } else {
      raws.push(await timeRaw(r));
      puts.push(await timePut(r));
    }
  }
  await store.close();
  await raw.quit();
  const put = median(puts);
  const set = median(raws);
  console.log(
    `store put ${put.toFixed(1)} µs vs bare SET ${set.toFixed(1)} µs of the same ${bytes.length} bytes (median of ${rounds} interleaved rounds of ${n})`,
  );
  return {
    name: "redis.put_vs_raw.ratio",
    value: round(put / set),
    unit: "ratio",
    better: "lower",
    target: 1.5,
  };
}

/** CPU time redis-server has used, in µs (`INFO cpu`). */
async function redisCpu(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const info = await client.info("cpu");
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
    return (field("used_cpu_user") + field("used_cpu_sys")) * 1e6;
  } finally {
    await client.quit();
  }
}

/**
 * Audited checkOperation (Redis-backed rate limit + audit chain) in two processes at once, each
 * with 128 checks in flight: a gateway serves many users at once, and checks in flight together
 * share round trips (auto-pipelining) and audit batches (group commit).
 */
async function checkAudited(url: string): Promise<Result> {
  const [a, b] = await Promise.all([
    startInstance(url, "bench-check", { ESPADA_STORE_REDIS_ENTRY: entry }),
    startInstance(url, "bench-check", { ESPADA_STORE_REDIS_ENTRY: entry }),
  ]);
  try {
    // a mutating change in development by a developer: allowed, rate-limited, audited
    const request = {
      commandId: "update-config",
      commandCategory: "manage",
      environment: "development",
      mutating: true,
    };
    const burst = { count: 2_000, inFlight: 128, users: ["dev"], request };
    await Promise.all([a.call("burst", burst), b.call("burst", burst)]); // warm-up
    const total = 20_000;
    const cpu = async (): Promise<number> =>
      (await a.call<number>("cpu")) + (await b.call<number>("cpu")) + (await redisCpu(url));
    const cpuBefore = await cpu();
    const start = performance.now();
    const allowed = await Promise.all([
      a.call<number>("burst", { ...burst, count: total / 2 }),
      b.call<number>("burst", { ...burst, count: total / 2 }),
    ]);
    const perSecond = total / ((performance.now() - start) / 1000);
    const cpuPerCheck = ((await cpu()) - cpuBefore) / total;
    if (allowed[0] + allowed[1] !== total)
      throw new Error(`expected every check allowed, got ${allowed[0] + allowed[1]} of ${total}`);
    const verified = await a.call<{ ok: boolean; records: number }>("verify");
    if (!verified.ok) throw new Error("audit chain broken after the audited bench");
    console.log(
      `audited checks, two processes, one Redis, ${burst.inFlight} checks in flight per process: ${Math.round(perSecond)}/s (${verified.records} audit records verified); CPU per check, both instances and redis-server: ${cpuPerCheck.toFixed(0)} µs`,
    );
    return {
      name: "redis.check_audited.per_s",
      value: Math.round(perSecond),
      unit: "ops/s",
      better: "higher",
      target: 10_000,
    };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

const server = await startRedisServer();
try {
  const results: Result[] = [];
  results.push(await putVsRaw(server.url));
  results.push(await checkAudited(server.url));
  const out = join(import.meta.dirname, "..", ".bench");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
} finally {
  await server.destroy();
}
