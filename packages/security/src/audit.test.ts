import { describe, expect, it, vi } from "vitest";
import { createHash } from "node:crypto";
import type { AuditEventInput, LogEntry } from "@espada/infra-core";
import { AUDIT_EVENT_TYPES } from "@espada/infra-core";
import { GENESIS_HASH, InfrastructureAuditLogger } from "./audit.js";
import { HMAC_PREFIX } from "./secrets.js";
import { Clock, memoryStore, singleRecordEntries } from "../test/support.js";
import { TamperStore } from "../test/tamperStore.js";

const KEY = Buffer.alloc(32, 9);

function event(i: number): AuditEventInput {
  return {
    type: AUDIT_EVENT_TYPES[i % AUDIT_EVENT_TYPES.length] ?? "operation_requested",
    actor: `user-${i % 7}`,
    operationId: `op-${i}`,
    environment: "production",
    details: { i },
  };
}

async function filled(
  n: number,
): Promise<{ store: TamperStore; logger: InfrastructureAuditLogger; clock: Clock }> {
  const clock = new Clock(1_000_000);
  const store = new TamperStore(memoryStore(clock));
  const logger = await InfrastructureAuditLogger.open({ store, key: KEY, now: clock.now });
  for (let start = 0; start < n; start += 1000) {
    clock.advance(1000);
    await Promise.all(
      Array.from({ length: Math.min(1000, n - start) }, (_, j) => logger.record(event(start + j))),
    );
  }
  await logger.flush();
  return { store, logger, clock };
}

const entryValue = (e: LogEntry): { s: number; p: string; h: string; b: string } =>
  e.value as { s: number; p: string; h: string; b: string };

describe("InfrastructureAuditLogger", () => {
  it("chains every record to the previous one by SHA-256", async () => {
    const { store } = await filled(5);
    const entries = singleRecordEntries(await store.read("security/audit"));
    expect(entries).toHaveLength(5);
    let prev = GENESIS_HASH;
    entries.forEach((e, i) => {
      const v = entryValue(e);
      expect(v.s).toBe(i);
      expect(v.p).toBe(prev);
      expect(v.h).toBe(createHash("sha256").update(`${prev}\n${v.b}`).digest("hex"));
      prev = v.h;
    });
  });

  it("verifies an intact log", async () => {
    const { logger } = await filled(100);
    expect(await logger.verify()).toEqual({ ok: true, records: 100 });
  });

  it("group-commits: records queued while a batch is written go out together in the next batch", async () => {
    const { store, logger } = await filled(0);
    let open1!: () => void;
    store.gate = new Promise((resolve) => (open1 = resolve));
    const first = logger.append(event(0));
    await vi.waitFor(() => expect(store.appendCalls).toBe(1));
    const rest = Array.from({ length: 99 }, (_, i) => logger.append(event(i + 1)));
    let settled = false;
    void first.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false); // not acknowledged before it is durable
    let open2!: () => void;
    store.gate = new Promise((resolve) => (open2 = resolve));
    open1();
    // the 99 queued records go out at once, as one block entry (a record-at-a-time writer would issue one)
    await vi.waitFor(() => expect(store.appendCalls).toBe(2));
    open2();
    const done = await Promise.all([first, ...rest]);
    expect(done.map((d) => d.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const entries = await store.read("security/audit");
    expect(entries.map((e) => entryValue(e).s)).toEqual([0, 1]);
    expect(entryValue(entries[1] as LogEntry).h).toHaveLength(99 * 64);
    expect(done[99]?.hash).toBe(entryValue(entries[1] as LogEntry).h.slice(-64));
    expect(await logger.verify()).toEqual({ ok: true, records: 100 });
  });

  it("replaces secret values by a keyed HMAC: equal secrets match, none can be read back", async () => {
    const { logger } = await filled(0);
    await logger.record({
      type: "command_executed",
      actor: "ann",
      details: { params: { password: "hunter2", name: "web", nested: { apiKey: "k-1" } } },
    });
    await logger.record({
      type: "command_executed",
      actor: "ann",
      details: { params: { password: "hunter2" } },
    });
    const [a, b] = await logger.query({ types: ["command_executed"] });
    const pa = (a?.details as { params: Record<string, unknown> }).params;
    const pb = (b?.details as { params: Record<string, unknown> }).params;
    expect(JSON.stringify(a)).not.toContain("hunter2");
    expect(JSON.stringify(a)).not.toContain("k-1");
    expect(pa.password).toMatch(new RegExp(`^${HMAC_PREFIX}[0-9a-f]{64}$`));
    expect(pa.password).toBe(pb.password);
    expect(pa.name).toBe("web");
  });

  it("fails closed: a record that cannot be written rejects, and the chain continues intact afterwards", async () => {
    const { store, logger } = await filled(10);
    store.failAppends = true;
    await expect(logger.record(event(10))).rejects.toMatchObject({ code: "STORAGE_FAILED" });
    store.failAppends = false;
    await logger.record(event(11));
    expect(await logger.verify()).toEqual({ ok: true, records: 11 });
  });

  it("refuses malformed events with a typed error naming the field", async () => {
    const { logger } = await filled(0);
    await expect(logger.record({ type: "nope" as never, actor: "a" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "type",
    });
    await expect(logger.record({ type: "session_started", actor: "" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "actor",
    });
    expect(logger.size).toBe(0);
  });

  it("answers queries by time range, user and event type", async () => {
    const { logger } = await filled(3000); // timestamps: 1_001_000 for 0–999, 1_002_000 for 1000–1999, …
    expect((await logger.query({ from: 1_002_000, to: 1_003_000 })).map((r) => r.seq)).toEqual(
      Array.from({ length: 1000 }, (_, i) => 1000 + i),
    );
    const byUser = await logger.query({ userId: "user-3" });
    expect(byUser.every((r) => r.actor === "user-3")).toBe(true);
    expect(byUser).toHaveLength(Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 7 === 3).length);
    const byType = await logger.query({ types: ["policy_changed"], limit: 5 });
    expect(byType).toHaveLength(5);
    expect(byType.every((r) => r.type === "policy_changed")).toBe(true);
  });

  it("reopens on the same store and continues the chain", async () => {
    const { store, logger, clock } = await filled(20);
    await logger.close();
    const again = await InfrastructureAuditLogger.open({ store, key: KEY, now: clock.now });
    expect(again.size).toBe(20);
    await again.record(event(20));
    expect(await again.verify()).toEqual({ ok: true, records: 21 });
  });

  it("refuses to open on a log whose anchor was forged (wrong key)", async () => {
    const { store, clock } = await filled(5);
    await expect(
      InfrastructureAuditLogger.open({ store, key: Buffer.alloc(32, 1), now: clock.now }),
    ).rejects.toMatchObject({ code: "STORAGE_CORRUPT" });
  });

  it("keeps a generated key in the store when none is given", async () => {
    const store = memoryStore();
    const a = await InfrastructureAuditLogger.open({ store, env: {} });
    await a.record(event(0));
    await a.close();
    const b = await InfrastructureAuditLogger.open({ store, env: {} });
    expect(await b.verify()).toEqual({ ok: true, records: 1 });
  });
});

describe("InfrastructureAuditLogger log walks", () => {
  it("read a few entries first, then pages sized to about 1 MB of record text", async () => {
    const { store, logger } = await filled(3000);
    const blocks = await store.read("security/audit");
    store.readLimits.length = 0;
    expect(await logger.verify()).toEqual({ ok: true, records: 3000 });
    // blocks of this log: a first read of 16 entries, then as many as hold ~1 MB (all the rest)
    expect(store.readLimits[0]).toBe(16);
    expect(store.readLimits.length).toBeLessThanOrEqual(2);
    // the same log as one record per entry (an older log): pages grow to thousands of entries
    store.tamper = singleRecordEntries;
    store.readLimits.length = 0;
    expect(await logger.verify()).toEqual({ ok: true, records: 3000 });
    expect(store.readLimits[0]).toBe(16);
    expect(store.readLimits[1]).toBeGreaterThan(1000);
    expect(store.readLimits.length).toBeLessThanOrEqual(3);
    store.tamper = undefined;
    expect(blocks.length).toBeGreaterThan(1);
  });
});

describe("audit tamper detection on a 10,000-record log", () => {
  const N = 10_000;
  const positions = (n: number): number[] => {
    const out = new Set<number>([0, 1, N / 2, N - 2, N - 1]);
    let s = 12345;
    while (out.size < n) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      out.add(s % N);
    }
    return [...out];
  };
  const forge = (entries: LogEntry[], at: number, body: string): LogEntry => {
    const prev = at === 0 ? GENESIS_HASH : entryValue(entries[at - 1] as LogEntry).h;
    const b = body;
    return {
      position: at,
      timestamp: 0,
      value: { s: at, p: prev, h: createHash("sha256").update(`${prev}\n${b}`).digest("hex"), b },
    };
  };

  it("detects modifying, deleting, reordering or inserting any single record, every time", async () => {
    const { store, logger } = await filled(N);
    expect(await logger.verify()).toEqual({ ok: true, records: N });
    const cases: [string, (entries: LogEntry[], i: number) => LogEntry[]][] = [
      // the body changed, hash left as it was
      [
        "modify body",
        (es, i) =>
          es.map((e, j) =>
            j === i
              ? { ...e, value: { ...entryValue(e), b: entryValue(e).b.replace('"actor":"', '"actor":"x') } }
              : e,
          ),
      ],
      // the body changed and this record's hash recomputed (the next record's previous-hash then breaks)
      [
        "modify and rehash",
        (es, i) =>
          es.map((e, j) => (j === i ? forge(es, i, entryValue(e).b.replace('"actor":"', '"actor":"x')) : e)),
      ],
      ["delete", (es, i) => es.filter((_, j) => j !== i)],
      [
        "reorder with the next",
        (es, i) => {
          const out = [...es];
          const k = i === es.length - 1 ? i - 1 : i + 1;
          [out[i], out[k]] = [out[k] as LogEntry, out[i] as LogEntry];
          return out;
        },
      ],
      // a correctly chained record inserted before i (or appended at the end)
      [
        "insert",
        (es, i) => [
          ...es.slice(0, i),
          forge(es, i, `{"seq":${i},"timestamp":1,"type":"policy_changed","actor":"mallory"}`),
          ...es.slice(i),
        ],
      ],
      [
        "append forged",
        (es) => [
          ...es,
          forge(
            es,
            es.length,
            `{"seq":${es.length},"timestamp":1,"type":"policy_changed","actor":"mallory"}`,
          ),
        ],
      ],
    ];
    let checks = 0;
    for (const [name, mutate] of cases) {
      for (const i of name === "append forged" ? [N] : positions(10)) {
        store.tamper = (entries) => mutate(singleRecordEntries(entries), i);
        const result = await logger.verify();
        expect(result.ok, `${name} at ${i}`).toBe(false);
        if (!result.ok && name !== "append forged")
          expect(result.firstBroken.position, `${name} at ${i}`).toBeLessThanOrEqual(Math.min(i + 1, N));
        checks += 1;
      }
    }
    store.tamper = undefined;
    expect(await logger.verify()).toEqual({ ok: true, records: N });
    expect(checks).toBe(5 * 10 + 1); // every position: audit.tamper.test.ts
  }, 120_000);
});

describe("InfrastructureAuditLogger stored form", () => {
  const factor = (name: string, description: string) => ({
    name,
    weight: 0.25,
    value: 100,
    contribution: 25,
    description,
  });
  const risk = {
    score: 81.5,
    level: "critical" as const,
    factors: [
      factor("environment", "production environment (2×)"),
      factor("time-of-day", "09:00–18:00 ✓ 😀"),
    ],
  };
  const reasons = [
    { check: "risk" as const, passed: true, message: "risk 81.5/100 (critical): 09:00–18:00" },
    { check: "rbac" as const, passed: false, message: 'no role of "ü" grants infra:delete' },
  ];

  it("reads back the same risk, reasons and details, frozen or not, from ASCII-only text", async () => {
    const store = memoryStore();
    const logger = await InfrastructureAuditLogger.open({ store, key: KEY });
    const frozenRisk = Object.freeze({
      ...risk,
      factors: Object.freeze(risk.factors.map((f) => Object.freeze({ ...f }))),
    });
    const events: AuditEventInput[] = [
      { type: "permission_denied", actor: "ann", risk, reasons, details: { note: "naïve ✓" } },
      {
        type: "permission_denied",
        actor: "ann",
        risk: frozenRisk,
        reasons: reasons.map((r) => Object.freeze(r)),
      },
      { type: "permission_denied", actor: "ann", risk: frozenRisk, reasons: [] },
      // not the usual shapes: stored as given
      {
        type: "access_denied",
        actor: "bob",
        risk: { ...risk, extra: 1 } as never,
        reasons: [{ ...reasons[0], extra: true } as never],
      },
      {
        type: "access_denied",
        actor: "bob",
        risk: { score: 1, level: "low", factors: [{ ...factor("x", "y"), weight: "heavy" }] } as never,
      },
    ];
    for (const e of events) await logger.record(e);
    const records = await logger.query();
    expect(records.map(({ seq: _seq, timestamp: _t, ...rest }) => rest)).toEqual(events);
    for (const entry of await store.read("security/audit")) {
      expect(entryValue(entry).b).toMatch(/^[\x20-\x7e]*$/);
    }
    expect(await logger.verify()).toEqual({ ok: true, records: events.length });
  });

  it("stores the usual risk and reasons without repeating their key names", async () => {
    const store = memoryStore();
    const logger = await InfrastructureAuditLogger.open({ store, key: KEY });
    await logger.record({ type: "permission_denied", actor: "ann", risk, reasons });
    const [entry] = await store.read("security/audit");
    const b = entryValue(entry as LogEntry).b;
    expect(b).not.toContain('"description"');
    expect(b).not.toContain('"message"');
    expect(b.length).toBeLessThan(JSON.stringify({ risk, reasons }).length);
  });
});
