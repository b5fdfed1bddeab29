// Two framework instances in two processes sharing one real Redis (no mock): approvals, break-glass,
// rate limits and the audit chain are one state for both.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GateDecision } from "@espada/infra-core";
import { startRedisServer } from "../src/testing.js";
import type { RedisServer } from "../src/testing.js";
import { startInstance } from "./instances.js";
import type { Instance } from "./instances.js";

let server: RedisServer;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  server = await startRedisServer();
  // revalidateMs 0: each check sees what the other instance changed at once (no waiting in the test)
  [a, b] = await Promise.all([
    startInstance(server.url, "cross", { ESPADA_REVALIDATE_MS: "0" }),
    startInstance(server.url, "cross", { ESPADA_REVALIDATE_MS: "0" }),
  ]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await server.destroy();
});

let ops = 0;
/** Deleting the production database cluster: critical, needs an admin's approval. */
const deleteDb = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  operationId: `delete-db-${ops++}`,
  commandId: "delete-cluster",
  commandCategory: "provision",
  userId: "ops",
  environment: "production",
  resourceIds: ["main-database-cluster"],
  params: { cluster: "main-database-cluster" },
  dangerous: true,
  mutating: true,
  ...extra,
});

describe("two instances in two processes sharing one Redis", () => {
  it("an approval given on one is seen on the other, and a decision received by both at once counts once", async () => {
    const op = deleteDb();
    const first = await a.call<GateDecision>("check", op);
    expect(first.outcome).toBe("needs-approval");
    if (first.outcome !== "needs-approval") return;
    const both = await Promise.all([
      a.call<{ ok: boolean }>("approve", { approvalId: first.approvalId, approver: "boss" }),
      b.call<{ ok: boolean }>("approve", { approvalId: first.approvalId, approver: "boss" }),
    ]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    expect(await a.call("approval", { approvalId: first.approvalId })).toMatchObject({ status: "approved" });
    const resumed = await b.call<GateDecision>("check", { ...op, approvalId: first.approvalId });
    expect(resumed.outcome).toBe("allowed");
    // it ran on b and b reported it: consumed, so a cannot run it a second time
    await b.call("reportOutcome", {
      operationId: op.operationId,
      userId: "ops",
      resourceIds: op.resourceIds,
    });
    expect(await a.call("approval", { approvalId: first.approvalId })).toMatchObject({ status: "consumed" });
    expect((await a.call<GateDecision>("check", { ...op, approvalId: first.approvalId })).outcome).not.toBe(
      "allowed",
    );
  });

  it("a break-glass session activated on one is honoured by the other, and its expiry is seen by both", async () => {
    const activation = await a.call<{ ok: boolean; session?: { id: string } }>("activate", {
      userId: "ops",
      environment: "production",
      durationMs: 120_000,
    });
    expect(activation.ok).toBe(true);
    const onB = await b.call<GateDecision>("check", deleteDb());
    expect(onB.outcome).toBe("allowed");
    expect(onB.reasons.map((r) => r.check)).toEqual(["risk", "break-glass"]);
    expect(await b.call("activeSession", { userId: "ops", environment: "production" })).toMatchObject({
      id: activation.session?.id,
    });
    await Promise.all([a.call("advance", { ms: 120_001 }), b.call("advance", { ms: 120_001 })]);
    const [afterA, afterB] = await Promise.all([
      a.call<GateDecision>("check", deleteDb()),
      b.call<GateDecision>("check", deleteDb()),
    ]);
    expect(afterA.outcome).toBe("needs-approval");
    expect(afterB.outcome).toBe("needs-approval");
    expect(await a.call("activeSession", { userId: "ops", environment: "production" })).toBeNull();
    expect(await b.call("activeSession", { userId: "ops", environment: "production" })).toBeNull();
  });

  it("counts rate limits across both instances", async () => {
    // the bot role allows 50 operations a minute: 60 checks on each instance at once, 50 allowed in all
    const [onA, onB] = await Promise.all([
      a.call<number>("burst", { count: 60, users: ["bot"] }),
      b.call<number>("burst", { count: 60, users: ["bot"] }),
    ]);
    expect(onA + onB).toBe(50);
  });

  it("verify() passes on both over interleaved audited writes", async () => {
    await Promise.all([a.call("burst", { count: 400 }), b.call("burst", { count: 400 })]);
    const [va, vb] = await Promise.all([
      a.call<{ ok: boolean; records: number }>("verify"),
      b.call<{ ok: boolean; records: number }>("verify"),
    ]);
    expect(va).toMatchObject({ ok: true });
    expect(vb).toMatchObject({ ok: true, records: va.records });
    expect(va.records).toBeGreaterThanOrEqual(800);
  });

  it("denies while Redis is down and loses no acknowledged approval when it restarts", async () => {
    const op = deleteDb();
    const first = await a.call<GateDecision>("check", op);
    if (first.outcome !== "needs-approval") throw new Error(`expected needs-approval, got ${first.outcome}`);
    expect(await b.call("approve", { approvalId: first.approvalId, approver: "boss" })).toMatchObject({
      ok: true,
    });
    await server.stop("SIGKILL");
    const down = await a.call<GateDecision>("check", { ...op, approvalId: first.approvalId }).then(
      (decision) => ({ outcome: decision.outcome, code: undefined as unknown }),
      (error: { code?: unknown }) => ({ outcome: "rejected", code: error.code }),
    );
    expect(down.outcome).not.toBe("allowed");
    await server.start();
    await Promise.all([a.call("whenReady"), b.call("whenReady")]);
    expect(await b.call("approval", { approvalId: first.approvalId })).toMatchObject({ status: "approved" });
    expect((await a.call<GateDecision>("check", { ...op, approvalId: first.approvalId })).outcome).toBe(
      "allowed",
    );
    expect(await a.call("verify")).toMatchObject({ ok: true });
  });
});
