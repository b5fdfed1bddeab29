import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { isInfrastructureError } from "@espada/infra-core";
import { InfrastructureAuditLogger } from "@espada/infra-security";
import { createRedisStateStore, describeRedisTarget, RedisStateStore } from "./index.js";
import { recordingLogger, startRedisServer } from "./testing.js";
import type { RedisServer } from "./testing.js";

let server: RedisServer;
let prefixes = 0;
const prefix = (): string => `unit-${process.pid}-${prefixes++}`;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.destroy();
});

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code?: unknown; field?: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: unknown; field?: unknown; message: string };
  }
  throw new Error("expected a rejection");
}

describe("RedisStateStore on a real redis-server", () => {
  it("decides a compare-and-set once across separate connections (instances)", async () => {
    const keyPrefix = prefix();
    const stores = await Promise.all(
      [1, 2, 3].map(() => RedisStateStore.connect({ url: server.url, keyPrefix })),
    );
    const [first] = stores;
    await first?.put("approvals/a1", { state: "pending" });
    const results = await Promise.all(
      stores.flatMap((store, s) =>
        [0, 1, 2, 3, 4].map((i) =>
          store.compareAndSet("approvals/a1", 1, { state: "approved", by: `${s}-${i}` }),
        ),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const counters = await Promise.all(
      stores.flatMap((store) => Array.from({ length: 20 }, () => store.increment("rate/u1", 60_000))),
    );
    expect(counters.map((c) => c.value).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
    const appended = await Promise.all(
      stores.flatMap((store, s) => Array.from({ length: 10 }, (_, i) => store.append("audit", { s, i }))),
    );
    expect(appended.map((e) => e.position).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i),
    );
    await Promise.all(stores.map((store) => store.close()));
  });

  it("sets Redis's own expiry on records and counters with a TTL, and clears it on a put without one", async () => {
    const keyPrefix = prefix();
    const store = await RedisStateStore.connect({ url: server.url, keyPrefix, expiryGrace: 500 });
    const raw = new Redis(server.url);
    const recordKey = Buffer.concat([
      Buffer.from(`{${keyPrefix}}:r:`),
      Buffer.from("sessions/s1", "utf16le").swap16(),
    ]);
    await store.put("sessions/s1", { user: "u" }, { ttlMs: 1_000 });
    const ttl = await raw.pttl(recordKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_500);
    await store.put("sessions/s1", { user: "u" });
    expect(await raw.pttl(recordKey)).toBe(-1);
    await store.increment("rate/x", 2_000);
    const counterKey = Buffer.concat([
      Buffer.from(`{${keyPrefix}}:c:`),
      Buffer.from("rate/x", "utf16le").swap16(),
    ]);
    const counterTtl = await raw.pttl(counterKey);
    expect(counterTtl).toBeGreaterThan(0);
    expect(counterTtl).toBeLessThanOrEqual(2_500);
    // a record Redis dropped by itself disappears from list and from the index
    await store.put("sessions/s2", 1, { ttlMs: 1_000 });
    await raw.del(
      Buffer.concat([Buffer.from(`{${keyPrefix}}:r:`), Buffer.from("sessions/s2", "utf16le").swap16()]),
    );
    expect((await store.list("sessions/")).map((r) => r.key)).toEqual(["sessions/s1"]);
    expect(await raw.zcard(`{${keyPrefix}}:i`)).toBe(1);
    raw.disconnect();
    await store.close();
  });

  it("rejects with STORAGE_UNAVAILABLE while Redis is down, comes back by itself, and loses nothing acknowledged", async () => {
    const own = await startRedisServer();
    const lines: string[] = [];
    const store = await RedisStateStore.connect({
      url: own.url,
      keyPrefix: prefix(),
      reconnectMinDelay: 20,
      reconnectMaxDelay: 200,
      logger: recordingLogger(lines),
    });
    const acknowledged: number[] = [];
    for (let i = 0; i < 50; i++) acknowledged.push((await store.append("audit", { i })).position);
    await store.put("approvals/a", { decision: "approved" });
    await store.increment("rate/u", 600_000, 7);
    await own.stop("SIGKILL");
    const write = await rejection(store.put("approvals/b", { decision: "approved" }));
    expect(write.code).toBe("STORAGE_UNAVAILABLE");
    expect(write.message).toMatch(/unavailable/);
    const read = await rejection(store.get("approvals/a"));
    expect(read.code).toBe("STORAGE_UNAVAILABLE");
    expect(read.message).toMatch(/cannot be read/);
    await own.start();
    await store.whenReady();
    expect((await store.get("approvals/a"))?.value).toEqual({ decision: "approved" });
    expect((await store.read("audit")).map((e) => e.position)).toEqual(acknowledged);
    expect((await store.increment("rate/u", 600_000)).value).toBe(8);
    expect((await store.append("audit", { i: 50 })).position).toBe(50);
    expect(lines.some((line) => line.startsWith("warn state store connection lost"))).toBe(true);
    expect(lines.some((line) => line.startsWith("info state store connection back"))).toBe(true);
    await store.close();
    await own.destroy();
  });

  it("closes at once while it waits to reconnect, leaving no handle open", async () => {
    const own = await startRedisServer();
    const before = process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length;
    const store = await RedisStateStore.connect({
      url: own.url,
      keyPrefix: prefix(),
      reconnectMinDelay: 600_000,
      reconnectMaxDelay: 600_000,
    });
    await store.put("k", 1);
    await own.stop("SIGKILL");
    // waiting on the killed server's socket to be seen closed (the next attempt is minutes away)
    while (store.status !== "reconnecting") await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await rejection(store.get("k"))).code).toBe("STORAGE_UNAVAILABLE");
    await store.close();
    expect(store.status).toBe("closed");
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap").length).toBeLessThanOrEqual(
      before,
    );
    await own.destroy();
  });

  it("refuses to start when Redis cannot be reached, and never logs the URL's credentials", async () => {
    const down = await startRedisServer();
    const url = `redis://admin:S3cretPassw0rd@127.0.0.1:${down.port}/2`;
    await down.destroy();
    const lines: string[] = [];
    const error = await rejection(
      createRedisStateStore(
        { backend: "redis", redis: { url, connectTimeout: 500 } },
        { logger: recordingLogger(lines) },
      ),
    );
    expect(error.code).toBe("STORAGE_UNAVAILABLE");
    expect(error.message).toContain(`127.0.0.1:${down.port}/2`);
    expect(JSON.stringify([error.message, String((error as Error).cause), ...lines])).not.toContain(
      "S3cretPassw0rd",
    );
    expect(describeRedisTarget("rediss://:pw@cache.example:6380/1")).toBe("rediss://cache.example:6380/1");
  });

  it("authenticates with a password and keeps it out of errors", async () => {
    const secured = await startRedisServer({ password: "Tr0ub4dor-and-3" });
    const good = await createRedisStateStore({
      backend: "redis",
      redis: { url: `redis://:Tr0ub4dor-and-3@127.0.0.1:${secured.port}` },
    });
    expect((await good.put("k", 1)).version).toBe(1);
    await good.close();
    const viaField = await createRedisStateStore({
      backend: "redis",
      redis: { url: secured.url, password: "Tr0ub4dor-and-3" },
    });
    expect((await viaField.get("k"))?.value).toBe(1);
    await viaField.close();
    const bad = await rejection(
      createRedisStateStore({
        backend: "redis",
        redis: { url: `redis://:wrong-Passw0rd@127.0.0.1:${secured.port}`, connectTimeout: 1_000 },
      }),
    );
    expect(bad.code).toBe("STORAGE_UNAVAILABLE");
    expect(JSON.stringify([bad.message, String((bad as Error).cause)])).not.toContain("wrong-Passw0rd");
    await secured.destroy();
  });

  it("validates its configuration section through core's schema, naming the field", async () => {
    const missing = await rejection(createRedisStateStore({ backend: "redis" }));
    expect(missing.code).toBe("CONFIG_INVALID");
    expect(missing.field).toBe("stateStoreConfig.redis");
    const badUrl = await rejection(createRedisStateStore({ backend: "redis", redis: { url: "http://x" } }));
    expect(badUrl.field).toBe("stateStoreConfig.redis.url");
    const file = await rejection(createRedisStateStore({ backend: "file" }));
    expect(file.field).toBe("stateStoreConfig.backend");
    const prefixError = await rejection(
      createRedisStateStore({ backend: "redis", redis: { url: server.url, keyPrefix: "a b" } }),
    );
    expect(prefixError.field).toBe("stateStoreConfig.redis.keyPrefix");
    for (const appendLeaseMs of [0, 1.5, -1, Number.NaN]) {
      const leaseError = await rejection(RedisStateStore.connect({ url: server.url, appendLeaseMs }));
      expect(leaseError).toMatchObject({ code: "INVALID_ARGUMENT", field: "appendLeaseMs" });
    }
  });

  it("reports a record written by something else as STORAGE_CORRUPT, and leaves no handle open after close", async () => {
    const keyPrefix = prefix();
    const before = process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    const store = await RedisStateStore.connect({ url: server.url, keyPrefix });
    const raw = new Redis(server.url);
    await raw.hset(
      Buffer.concat([Buffer.from(`{${keyPrefix}}:r:`), Buffer.from("x", "utf16le").swap16()]),
      "v",
      "1",
      "u",
      "1",
      "d",
      "{not json",
    );
    const corrupt = await rejection(store.get("x"));
    expect(corrupt.code).toBe("STORAGE_CORRUPT");
    await raw.quit();
    await store.close();
    await store.close();
    expect(isInfrastructureError(await rejection(store.put("y", 1)), "STORAGE_FAILED")).toBe(true);
    expect(store.status).toBe("closed");
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length).toBeLessThanOrEqual(
      before,
    );
  });

  it("appends at an expected position all or nothing (what several audit writers need)", async () => {
    const store = await RedisStateStore.connect({ url: server.url, keyPrefix: prefix() });
    const first = await store.appendAt("chain", 0, ["a", "b"]);
    expect(first).toMatchObject({
      ok: true,
      entries: [
        { position: 0, value: "a" },
        { position: 1, value: "b" },
      ],
    });
    // a loser learns what it missed in the same call (no read round trip)
    expect(await store.appendAt("chain", 0, ["c"])).toMatchObject({
      ok: false,
      nextPosition: 2,
      missed: [
        { position: 0, value: "a" },
        { position: 1, value: "b" },
      ],
    });
    expect(await store.appendAt("chain", 1, ["c"])).toMatchObject({
      ok: false,
      nextPosition: 2,
      missed: [{ position: 1, value: "b" }],
    });
    // ahead of the log: nothing missed
    expect(await store.appendAt("chain", 5, ["c"])).toEqual({ ok: false, nextPosition: 2, missed: [] });
    const racing = await Promise.all([
      store.appendAt("chain", 2, ["x1", "x2"]),
      store.appendAt("chain", 2, ["y1"]),
    ]);
    expect(racing.filter((r) => r.ok)).toHaveLength(1);
    const lost = racing.find((r) => !r.ok);
    expect(lost).toMatchObject({ ok: false, nextPosition: 4, missed: [{ position: 2 }, { position: 3 }] });
    expect((await store.read("chain")).map((e) => e.value)).toEqual(["a", "b", "x1", "x2"]);
    expect((await rejection(store.appendAt("chain", 4, [Number.NaN]))).field).toBe("values[0]");
    await store.close();
  });

  /** The Redis key of a log's lease or waiter (`la:` / `lw:`), its ASCII name written as UTF-16BE. */
  const logKey = (keyPrefix: string, kind: "la" | "lw" | "lm" | "le", log: string): string =>
    `{${keyPrefix}}:${kind}:${[...log].map((c) => `\0${c}`).join("")}`;

  /** Resolves once `key` exists (the awaited event: a writer registered as next in line). */
  async function untilExists(raw: Redis, key: string): Promise<void> {
    while ((await raw.exists(key)) === 0) await new Promise((resolve) => setImmediate(resolve));
  }

  it("under contention, a writer behind the log learns what it missed without sending its batch, then appends right after", async () => {
    const keyPrefix = prefix();
    const [a, b] = await Promise.all([
      RedisStateStore.connect({ url: server.url, keyPrefix, appendLeaseMs: 60_000 }),
      RedisStateStore.connect({ url: server.url, keyPrefix, appendLeaseMs: 60_000 }),
    ]);
    // a lease far longer than the test: what orders the writers below is the lease, not the clock
    const raw = new Redis(server.url);
    expect(await a.appendAt("chain", 0, ["a0"])).toMatchObject({ ok: true });
    // b is behind: it loses once (its batch sent), and holds the lease for the batch it chains next
    expect(await b.appendAt("chain", 0, ["b0"])).toMatchObject({
      ok: false,
      nextPosition: 1,
      missed: [{ position: 0, value: "a0" }],
    });
    expect(await raw.exists(logKey(keyPrefix, "la", "chain"))).toBe(1);
    // a cannot append while b holds the lease: it waits as next in line, its batch not appended
    const waiting = a.appendAt("chain", 1, ["a1"]);
    await untilExists(raw, logKey(keyPrefix, "lw", "chain"));
    expect(await raw.llen(logKey(keyPrefix, "le", "chain"))).toBe(1);
    // b's batch, chained after what it missed, is appended at once; the lease passes to a, which
    // learns what it missed without sending its batch again
    expect(await b.appendAt("chain", 1, ["b1"])).toMatchObject({ ok: true, entries: [{ position: 1 }] });
    expect(await waiting).toMatchObject({
      ok: false,
      nextPosition: 2,
      missed: [{ position: 1, value: "b1" }],
    });
    // now b is behind: it learns it from a head check (nothing sent) while a's retry goes at once
    const bBehind = b.appendAt("chain", 2, ["b2"]);
    expect(await a.appendAt("chain", 2, ["a2", "a3"])).toMatchObject({
      ok: true,
      entries: [{ position: 2 }, { position: 3 }],
    });
    expect(await bBehind).toMatchObject({
      ok: false,
      nextPosition: 4,
      missed: [{ value: "a2" }, { value: "a3" }],
    });
    expect(await b.appendAt("chain", 4, ["b4"])).toMatchObject({ ok: true, entries: [{ position: 4 }] });
    expect((await a.read("chain")).map((e) => e.value)).toEqual(["a0", "b1", "a2", "a3", "b4"]);
    // the lease is gone with the log
    expect(await a.deleteLog("chain")).toBe(true);
    expect(await raw.exists(logKey(keyPrefix, "la", "chain"), logKey(keyPrefix, "lw", "chain"))).toBe(0);
    raw.disconnect();
    await Promise.all([a.close(), b.close()]);
  });

  it("a lease whose holder stopped lapses: the other writers go on after it", async () => {
    const keyPrefix = prefix();
    const [a, b] = await Promise.all([
      RedisStateStore.connect({ url: server.url, keyPrefix, appendLeaseMs: 50 }),
      RedisStateStore.connect({ url: server.url, keyPrefix, appendLeaseMs: 50 }),
    ]);
    expect(await a.appendAt("chain", 0, ["a0"])).toMatchObject({ ok: true });
    // b loses and so holds the lease, then stops before sending its next batch
    expect(await b.appendAt("chain", 0, ["b0"])).toMatchObject({ ok: false, nextPosition: 1 });
    await b.close();
    expect(await a.appendAt("chain", 1, ["a1"])).toMatchObject({ ok: true, entries: [{ position: 1 }] });
    expect((await a.read("chain")).map((e) => e.value)).toEqual(["a0", "a1"]);
    await a.close();
  });

  it("several writers extending one chain through appendAt: every batch once, in one order", async () => {
    const keyPrefix = prefix();
    const writers = await Promise.all(
      [0, 1, 2].map(() => RedisStateStore.connect({ url: server.url, keyPrefix })),
    );
    // each writer chains its batch after the last entry it knows (a hash chain in miniature)
    const run = async (store: RedisStateStore, name: string): Promise<void> => {
      let head = { position: -1, last: "genesis" };
      for (let batch = 0; batch < 20;) {
        const values = [0, 1].map((i) => `${name}-${batch}-${i}`);
        const chained = values.map((v, i) => ({ v, after: i === 0 ? head.last : values[i - 1] }));
        const result = await store.appendAt("chain", head.position + 1, chained);
        if (result.ok) {
          head = { position: head.position + 2, last: values[1] ?? "" };
          batch++;
          continue;
        }
        for (const entry of result.missed ?? [])
          head = { position: entry.position, last: String((entry.value as { v: string }).v) };
      }
    };
    await Promise.all(writers.map((w, i) => run(w, `w${i}`)));
    const log = await writers[0]!.read<{ v: string; after: string }>("chain");
    expect(log).toHaveLength(120);
    let last = "genesis";
    for (const entry of log) {
      expect(entry.value.after).toBe(last);
      last = entry.value.v;
    }
    expect(new Set(log.map((e) => e.value.v)).size).toBe(120);
    await Promise.all(writers.map((w) => w.close()));
  });

  it("prepareAppend: under contention a writer learns where the log stands before it builds its batch, and holds the turn for it", async () => {
    const keyPrefix = prefix();
    const [a, b] = await Promise.all([
      RedisStateStore.connect({ url: server.url, keyPrefix, appendLeaseMs: 60_000 }),
      RedisStateStore.connect({ url: server.url, keyPrefix, appendLeaseMs: 60_000 }),
    ]);
    const raw = new Redis(server.url);
    // no contention seen yet: build at once (no round trip needed)
    expect(await a.prepareAppend("chain", 0)).toEqual({ ok: true });
    expect(await a.appendAt("chain", 0, ["a0"])).toMatchObject({ ok: true });
    expect(await b.prepareAppend("chain", 0)).toEqual({ ok: true });
    expect(await b.appendAt("chain", 0, ["b0"])).toMatchObject({ ok: false, nextPosition: 1 });
    // b lost, so b holds the turn: prepareAppend at the reported position answers at once
    expect(await b.prepareAppend("chain", 1)).toEqual({ ok: true });
    // a has seen no contention, so it builds at once and sends: b holds the turn, so a waits as
    // next in line, then learns b's batch without sending its own again
    expect(await a.prepareAppend("chain", 1)).toEqual({ ok: true });
    const aAppend = a.appendAt("chain", 1, ["a1"]);
    await untilExists(raw, logKey(keyPrefix, "lw", "chain"));
    expect(await b.appendAt("chain", 1, ["b1"])).toMatchObject({ ok: true, entries: [{ position: 1 }] });
    expect(await aAppend).toMatchObject({ ok: false, nextPosition: 2, missed: [{ value: "b1" }] });
    // a now holds the turn at 2: b, asking, waits until a's batch is in, then learns it
    expect(await a.prepareAppend("chain", 2)).toEqual({ ok: true });
    const bReady = b.prepareAppend("chain", 2);
    expect(await a.appendAt("chain", 2, ["a2"])).toMatchObject({ ok: true, entries: [{ position: 2 }] });
    expect(await bReady).toMatchObject({ ok: false, nextPosition: 3, missed: [{ value: "a2" }] });
    expect((await a.read("chain")).map((e) => e.value)).toEqual(["a0", "b1", "a2"]);
    expect((await rejection(a.prepareAppend("chain", -1))).field).toBe("expectedPosition");
    raw.disconnect();
    await Promise.all([a.close(), b.close()]);
  });

  it("two audit loggers on two connections extend one chain: every record once, verify() passes on both", async () => {
    const keyPrefix = prefix();
    const stores = await Promise.all(
      [0, 1].map(() => RedisStateStore.connect({ url: server.url, keyPrefix })),
    );
    const [one, two] = await Promise.all(
      stores.map((store) => InfrastructureAuditLogger.open({ store, key: Buffer.alloc(32, 3) })),
    );
    if (one === undefined || two === undefined) throw new Error("two loggers expected");
    const event = (actor: string, i: number) =>
      ({ type: "permission_granted", actor, operationId: `${actor}-${i}`, outcome: "success" }) as const;
    // one record each, one after the other: the second learns the first (a lost race), then appends
    expect(await one.append(event("one", 0))).toMatchObject({ seq: 0 });
    expect(await two.append(event("two", 0))).toMatchObject({ seq: 1 });
    // then many at once on both
    const written = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? one : two).append(event(i % 2 === 0 ? "one" : "two", i + 1)),
      ),
    );
    expect(new Set(written.map((w) => w.seq)).size).toBe(200);
    expect(await one.verify()).toEqual({ ok: true, records: 202 });
    expect(await two.verify()).toEqual({ ok: true, records: 202 });
    const records = await one.query();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 202 }, (_, i) => i));
    await Promise.all([one.close(), two.close()]);
    await Promise.all(stores.map((store) => store.close()));
  });

  it("an audit logger does not chain onto another instance's record whose hash does not match its text", async () => {
    const keyPrefix = prefix();
    const stores = await Promise.all(
      [0, 1].map(() => RedisStateStore.connect({ url: server.url, keyPrefix })),
    );
    const [one, two] = await Promise.all(
      stores.map((store) => InfrastructureAuditLogger.open({ store, key: Buffer.alloc(32, 3) })),
    );
    if (one === undefined || two === undefined) throw new Error("two loggers expected");
    const event = { type: "permission_granted", actor: "one", outcome: "success" } as const;
    await one.append(event);
    await one.append(event);
    // the last record's stored hash no longer matches its text (its links still do)
    const raw = new Redis(server.url);
    const entries = logKey(keyPrefix, "le", "security/audit");
    const stored = (await raw.lindex(entries, -1)) ?? "";
    const h = /"h":"([0-9a-f]{64})"/.exec(stored)?.[1] ?? "";
    await raw.lset(entries, -1, stored.replace(h, `${h[0] === "0" ? "1" : "0"}${h.slice(1)}`));
    const error = await rejection(two.append({ ...event, actor: "two" }));
    expect(error.code).toBe("STORAGE_CORRUPT");
    expect(await raw.llen(entries)).toBe(2);
    raw.disconnect();
    await Promise.all([one.close(), two.close()]);
    await Promise.all(stores.map((store) => store.close()));
  });
});
