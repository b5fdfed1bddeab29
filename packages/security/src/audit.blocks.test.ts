import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash, createHmac } from "node:crypto";
import type { AuditEventInput, JsonValue } from "@espada/infra-core";
import { GENESIS_HASH, InfrastructureAuditLogger } from "./audit.js";
import { protectSecrets } from "./secrets.js";
import { Clock, memoryStore, singleRecordEntries } from "../test/support.js";
import { TamperStore } from "../test/tamperStore.js";

// The records of one group-commit batch are stored as one block entry: `h` their hashes
// (concatenated), `b` their texts joined by \x1e. These tests change single records INSIDE blocks
// (audit.tamper.test.ts does it on the one-record-per-entry form), read logs of the form written
// before blocks, and check that composing a record member by member writes what the secret
// protector would for the whole event.

const KEY = Buffer.alloc(32, 7);
const SEP = "\x1e";

interface Block {
  s: number;
  p: string;
  h: string;
  b: string;
}

const sha = (prev: string, body: string): string =>
  createHash("sha256").update(`${prev}\n${body}`).digest("hex");

function event(i: number, pad = 0): AuditEventInput {
  return {
    type: "permission_granted",
    actor: `user-${i % 5}`,
    operationId: `op-${i}`,
    details: pad === 0 ? { i } : { i, note: "n".repeat(pad) },
  };
}

/** 3 batches of `perBatch` records: 3 block entries (records of ~`pad` characters more than the smallest). */
async function blocks(
  perBatch = 100,
  pad = 0,
): Promise<{ store: TamperStore; logger: InfrastructureAuditLogger; clock: Clock }> {
  const clock = new Clock(5_000_000);
  const store = new TamperStore(memoryStore(clock));
  const logger = await InfrastructureAuditLogger.open({ store, key: KEY, now: clock.now });
  for (let start = 0; start < 3 * perBatch; start += perBatch) {
    clock.advance(1000);
    await Promise.all(Array.from({ length: perBatch }, (_, j) => logger.record(event(start + j, pad))));
  }
  await logger.flush();
  return { store, logger, clock };
}

/** A block as its records (text and hash each). */
const recordsOf = (v: Block): { b: string; h: string }[] =>
  v.b.split(SEP).map((b, i) => ({ b, h: v.h.slice(i * 64, i * 64 + 64) }));
const blockOf = (s: number, p: string, records: readonly { b: string; h: string }[]): Block => ({
  s,
  p,
  h: records.map((r) => r.h).join(""),
  b: records.map((r) => r.b).join(SEP),
});
const edit = (b: string): string => b.replace('"actor":"', '"actor":"x');

/** Changes to record k of a block (k counted within the block). */
const MUTATIONS: Record<string, (v: Block, k: number) => Block> = {
  "modify text": (v, k) =>
    blockOf(
      v.s,
      v.p,
      recordsOf(v).map((r, i) => (i === k ? { ...r, b: edit(r.b) } : r)),
    ),
  "modify and rehash": (v, k) => {
    const records = recordsOf(v);
    const prev = k === 0 ? v.p : (records[k - 1]?.h ?? "");
    return blockOf(
      v.s,
      v.p,
      records.map((r, i) => (i === k ? { b: edit(r.b), h: sha(prev, edit(r.b)) } : r)),
    );
  },
  delete: (v, k) =>
    blockOf(
      v.s,
      v.p,
      recordsOf(v).filter((_, i) => i !== k),
    ),
  "swap with next": (v, k) => {
    const records = recordsOf(v);
    const j = k === records.length - 1 ? k - 1 : k + 1;
    [records[k], records[j]] = [
      records[j] as { b: string; h: string },
      records[k] as { b: string; h: string },
    ];
    return blockOf(v.s, v.p, records);
  },
  "insert forged": (v, k) => {
    const records = recordsOf(v);
    const prev = k === 0 ? v.p : (records[k - 1]?.h ?? "");
    const b = `{"seq":${v.s + k},"timestamp":1,"type":"policy_changed","actor":"mallory"}`;
    records.splice(k, 0, { b, h: sha(prev, b) });
    return blockOf(v.s, v.p, records);
  },
  "text without its hash": (v, k) => ({
    ...v,
    h: v.h.slice(0, k * 64) + v.h.slice(k * 64 + 64),
  }),
  "hash without its text": (v, k) => ({
    ...v,
    b: recordsOf(v)
      .filter((_, i) => i !== k)
      .map((r) => r.b)
      .join(SEP),
  }),
};

describe("audit block entries", () => {
  it("stores each group-commit batch as one entry that verify() and query() read record by record", async () => {
    const { store, logger } = await blocks();
    const entries = await store.read<JsonValue>("security/audit");
    expect(entries.map((e) => (e.value as unknown as Block).s)).toEqual([0, 100, 200]);
    expect(await logger.verify()).toEqual({ ok: true, records: 300 });
    expect((await logger.query()).map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect((await logger.query({ operationId: "op-150" })).map((r) => r.seq)).toEqual([150]);
    // the same chain as one record per entry
    let prev = GENESIS_HASH;
    for (const single of singleRecordEntries(entries)) {
      const v = single.value as unknown as Block;
      expect(v.p).toBe(prev);
      expect(v.h).toBe(sha(prev, v.b));
      prev = v.h;
    }
  });

  // short records are checked as strings, long ones (≥ 512 characters on average) as bytes in place
  it.each([
    ["short", 100, 0],
    ["long", 30, 700],
  ])("detects any change to any single %s record inside a block, naming that record", async (_, per, pad) => {
    const { store, logger } = await blocks(per, pad);
    const n = 3 * per;
    expect(await logger.verify()).toEqual({ ok: true, records: n });
    const missed: string[] = [];
    let checks = 0;
    for (const [name, mutate] of Object.entries(MUTATIONS)) {
      for (let seq = 0; seq < n; seq++) {
        const at = Math.floor(seq / per);
        store.tamper = (entries) =>
          entries.map((e, i) =>
            i === at ? { ...e, value: mutate(e.value as unknown as Block, seq % per) as never } : e,
          );
        const result = await logger.verify();
        checks += 1;
        if (result.ok) missed.push(`${name} at ${seq}`);
        else {
          // a rehashed record breaks the link of the one after it (the next block's, for a block's last)
          expect(result.firstBroken.position, `${name} at ${seq}`).toBeGreaterThanOrEqual(at);
          expect(result.firstBroken.position, `${name} at ${seq}`).toBeLessThanOrEqual(at + 1);
          expect(result.firstBroken.expectedSeq, `${name} at ${seq}`).toBeLessThanOrEqual(seq + 1);
          expect(result.firstBroken.expectedSeq, `${name} at ${seq}`).toBeGreaterThanOrEqual(at * per);
        }
      }
    }
    store.tamper = undefined;
    expect(missed).toEqual([]);
    expect(checks).toBe(7 * n);
    expect(await logger.verify()).toEqual({ ok: true, records: n });
  });

  it("reads, verifies and continues a log written one record per entry with an anchor without position", async () => {
    const { store: written } = await blocks();
    const singles = singleRecordEntries(await written.read<JsonValue>("security/audit"));
    const clock = new Clock(9_000_000);
    const store = memoryStore(clock);
    for (const e of singles) await store.append("security/audit", e.value);
    const last = singles.at(-1)?.value as unknown as Block;
    const macKey = createHmac("sha256", KEY).update("espada-audit-anchor").digest();
    const mac = createHmac("sha256", macKey).update(`${last.s}:${last.h}`).digest("hex");
    await store.put("security/audit-anchor", { seq: last.s, hash: last.h, mac });
    const logger = await InfrastructureAuditLogger.open({ store, key: KEY, now: clock.now });
    expect(logger.size).toBe(300);
    expect(await logger.verify()).toEqual({ ok: true, records: 300 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => logger.record(event(300 + i))));
    await logger.close();
    const again = await InfrastructureAuditLogger.open({ store, key: KEY, now: clock.now });
    expect(again.size).toBe(310);
    expect(await again.verify()).toEqual({ ok: true, records: 310 });
    expect((await again.query({ operationId: "op-305" })).map((r) => r.seq)).toEqual([305]);
  });

  it("adopts block entries written after the anchor when reopening", async () => {
    const { store, clock } = await blocks();
    // the anchor as it stood after the first batch: the next two blocks are adopted
    const [first] = await store.read<JsonValue>("security/audit", 0, 1);
    const v = first?.value as unknown as Block;
    const hash = v.h.slice(-64);
    const macKey = createHmac("sha256", KEY).update("espada-audit-anchor").digest();
    const mac = createHmac("sha256", macKey).update(`99:${hash}`).digest("hex");
    await store.put("security/audit-anchor", { seq: 99, hash, mac, pos: 0 });
    const problems: string[] = [];
    const logger = await InfrastructureAuditLogger.open({
      store,
      key: KEY,
      now: clock.now,
      onProblem: (m) => problems.push(m),
    });
    expect(logger.size).toBe(300);
    expect(problems).toEqual([expect.stringContaining("adopted 200 audit record(s)")]);
    expect(await logger.verify()).toEqual({ ok: true, records: 300 });
  });
});

describe("audit record composition", () => {
  const keyName = fc.constantFrom("name", "target", "password", "apiKey", "note", "token", "count", "ü");
  const leaf = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: "small" },
      leaf,
      fc.array(tie("v"), { maxLength: 3 }),
      fc.dictionary(keyName, tie("v"), { maxKeys: 3 }),
    ),
  })).v;

  it("property: a record reads back as the secret protector writes the whole event", async () => {
    const store = memoryStore();
    const logger = await InfrastructureAuditLogger.open({ store, key: KEY });
    const secrets = createHmac("sha256", KEY).update("espada-audit-secrets").digest();
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            actor: fc.string({ minLength: 1 }),
            operationId: fc.string(),
            environment: fc.constantFrom("production", "naïve ✓"),
            details: fc.dictionary(keyName, value, { maxKeys: 4 }),
            password: fc.string(),
          },
          { requiredKeys: ["actor"] },
        ),
        async (fields) => {
          const e = { type: "command_executed", ...fields } as AuditEventInput;
          const { seq } = await logger.append(e);
          const [record] = await logger.query({ from: 0 }).then((all) => all.filter((r) => r.seq === seq));
          const { seq: _seq, timestamp: _t, ...rest } = record as unknown as Record<string, unknown>;
          expect(rest).toEqual(protectSecrets(e, secrets));
        },
      ),
      { numRuns: 150 },
    );
    expect((await logger.verify()).ok).toBe(true);
    for (const entry of await store.read<JsonValue>("security/audit"))
      expect((entry.value as unknown as Block).b).toMatch(/^[\x1e\x20-\x7e]*$/);
  });
});
