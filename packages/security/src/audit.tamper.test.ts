import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import type { AuditEventInput, JsonValue, LogEntry } from "@espada/infra-core";
import { AUDIT_EVENT_TYPES } from "@espada/infra-core";
import { ChainVerifier, GENESIS_HASH, InfrastructureAuditLogger } from "./audit.js";
import { Clock, memoryStore, singleRecordEntries } from "../test/support.js";
import { TamperStore } from "../test/tamperStore.js";

// Every single-entry change of a 10,000-record chain — modify (with and without rehashing),
// delete, swap with a neighbour, insert a correctly linked forgery — at EVERY position is detected.
// Exhaustive over positions, yet fast: the chain check's state is two fields, so each mutation is
// checked by resuming the same verifier `verify()` uses from the state just before the changed
// position (the entries before it are untouched) and feeding the changed tail until it breaks or
// the log ends. A fast-check property then runs the whole `verify()` on random mutations.

const KEY = Buffer.alloc(32, 9);
const N = 10_000;

interface Entry {
  s: number;
  p: string;
  h: string;
  b: string;
}

function event(i: number): AuditEventInput {
  return {
    type: AUDIT_EVENT_TYPES[i % AUDIT_EVENT_TYPES.length] ?? "operation_requested",
    actor: `user-${i % 7}`,
    operationId: `op-${i}`,
    environment: "production",
    details: { i },
  };
}

async function filled(n: number): Promise<{ store: TamperStore; logger: InfrastructureAuditLogger }> {
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
  return { store, logger };
}

const sha = (prev: string, body: string): string =>
  createHash("sha256").update(`${prev}\n${body}`).digest("hex");

/** A forged entry correctly linked to `prev`, claiming sequence `seq`. */
const forge = (
  prev: string,
  seq: number,
  body = `{"seq":${seq},"timestamp":1,"type":"policy_changed","actor":"mallory"}`,
): Entry => ({ s: seq, p: prev, h: sha(prev, body), b: body });
const editBody = (e: Entry): Entry => ({ ...e, b: e.b.replace('"actor":"', '"actor":"x') });

/** The single-entry mutations: each maps (entries, i) to the changed window starting at i plus how many original entries it replaces. */
const MUTATIONS: Record<string, (es: readonly Entry[], i: number) => { window: Entry[]; replaced: number }> =
  {
    "modify body": (es, i) => ({ window: [editBody(es[i] as Entry)], replaced: 1 }),
    "modify and rehash": (es, i) => {
      const e = editBody(es[i] as Entry);
      return { window: [{ ...e, h: sha(e.p, e.b) }], replaced: 1 };
    },
    "modify sequence": (es, i) => ({
      window: [{ ...(es[i] as Entry), s: (es[i] as Entry).s + 1 }],
      replaced: 1,
    }),
    delete: () => ({ window: [], replaced: 1 }),
    "swap with next": (es, i) => ({ window: [es[i + 1] as Entry, es[i] as Entry], replaced: 2 }),
    insert: (es, i) => ({ window: [forge(i === 0 ? GENESIS_HASH : (es[i - 1] as Entry).h, i)], replaced: 0 }),
  };

describe("audit tamper detection at every position of a 10,000-record chain", () => {
  it("detects every single-entry modification, deletion, swap and insertion, at every position", async () => {
    const { store, logger } = await filled(N);
    expect(await logger.verify()).toEqual({ ok: true, records: N });
    // one record per entry (the form before blocks, which verify() reads too); blocks: audit.test.ts
    const entries = singleRecordEntries(await store.read<JsonValue>("security/audit", 0)).map(
      (e) => e.value as unknown as Entry,
    );
    expect(entries).toHaveLength(N);
    const head = entries[N - 1] as Entry;
    // the verifier's state before each position, from one pass over the untouched chain
    const states: { prev: string; expected: number }[] = [];
    const clean = new ChainVerifier(N - 1);
    for (const e of entries) {
      states.push({ prev: clean.prev, expected: clean.expected });
      expect(clean.push(e)).toBeUndefined();
    }
    expect(clean.endsEarly()).toBeUndefined();
    expect(clean.lastDiffers(head.h)).toBeUndefined();

    const missed: string[] = [];
    let checks = 0;
    for (const [name, mutate] of Object.entries(MUTATIONS)) {
      for (let i = 0; i < N; i++) {
        if (name === "swap with next" && i === N - 1) continue; // the last pair is swapped at N-2
        const start = i;
        const { window, replaced } = mutate(entries, i);
        const state = states[start] as { prev: string; expected: number };
        const chain = new ChainVerifier(N - 1, state.prev, state.expected);
        // the changed log from `start` on: the window, then the untouched rest
        let detected = window.some((e) => chain.push(e) !== undefined);
        for (let j = start + replaced; !detected && j < N && j < start + replaced + 2; j++)
          detected = chain.push(entries[j]) !== undefined;
        const reachedEnd = start + replaced + 2 >= N;
        if (!detected && reachedEnd)
          detected = chain.endsEarly() !== undefined || chain.lastDiffers(head.h) !== undefined;
        if (!detected) missed.push(`${name} at ${i}`);
        checks += 1;
      }
    }
    expect(missed).toEqual([]);
    expect(checks).toBe(6 * N - 1);
    expect(await logger.verify()).toEqual({ ok: true, records: N });
  }, 120_000);

  it("property: verify() reports any single mutation of a chain, at or right after the changed position", async () => {
    const { store, logger } = await filled(300);
    const original = singleRecordEntries(await store.read<JsonValue>("security/audit", 0)).map(
      (e) => e.value as unknown as Entry,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(MUTATIONS)),
        fc.integer({ min: 0, max: original.length - 1 }),
        async (name, at) => {
          const i = name === "swap with next" && at === original.length - 1 ? at - 1 : at;
          const { window, replaced } = (MUTATIONS[name] as (typeof MUTATIONS)[string])(original, i);
          const changed = [...original.slice(0, i), ...window, ...original.slice(i + replaced)];
          store.tamper = () =>
            changed.map((value, position): LogEntry => ({
              position,
              timestamp: 0,
              value: value as unknown as JsonValue,
            }));
          const result = await logger.verify();
          store.tamper = undefined;
          expect(result.ok).toBe(false);
          if (!result.ok)
            expect(result.firstBroken.position).toBeLessThanOrEqual(Math.min(i + 2, changed.length));
        },
      ),
      { numRuns: 300 },
    );
    expect(await logger.verify()).toEqual({ ok: true, records: 300 });
  }, 120_000);
});
