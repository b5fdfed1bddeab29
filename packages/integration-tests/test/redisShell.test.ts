// Two whole frameworks, each composed by the shell (`createInfrastructureFramework`) in its own
// process from a configuration that selects the Redis store, sharing one real redis-server (no
// mock): sessions, pending operations, approvals, break-glass and the audit chain are one state.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedisServer } from "@espada/infra-store-redis/testing";
import type { RedisServer } from "@espada/infra-store-redis/testing";
import { startProcessInstance } from "../../../tooling/test/processInstance.js";
import type { ProcessInstance } from "../../../tooling/test/processInstance.js";

const SCRIPT = fileURLToPath(new URL("./fixtures/redisShellInstance.mjs", import.meta.url));

interface Summary {
  readonly status: string;
  readonly pendingId?: string;
  readonly approvalId?: string;
  readonly kind?: string;
  readonly code?: string;
  readonly message?: string;
  readonly checks?: readonly string[];
}

let server: RedisServer;
let a: ProcessInstance;
let b: ProcessInstance;
let dirA: string;
let dirB: string;

beforeAll(async () => {
  server = await startRedisServer();
  dirA = mkdtempSync(join(tmpdir(), "espada-shell-a-"));
  dirB = mkdtempSync(join(tmpdir(), "espada-shell-b-"));
  [a, b] = await Promise.all([
    startProcessInstance([SCRIPT, dirA, server.url, "shell"]),
    startProcessInstance([SCRIPT, dirB, server.url, "shell"]),
  ]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await server.destroy();
  rmSync(dirA, { recursive: true, force: true });
  rmSync(dirB, { recursive: true, force: true });
});

/** Both instances move their clocks forward past the security facade's revalidation interval. */
async function revalidate(): Promise<void> {
  await Promise.all([a.call("advance", { ms: 1_001 }), b.call("advance", { ms: 1_001 })]);
}

const deleteMain = {
  commandId: "delete-cluster",
  params: { cluster: "main-database-cluster" },
  confirmed: true,
};

describe("two shells in two processes on one Redis", () => {
  it("an approval asked for on one, given on the other, is resumed on the other exactly once", async () => {
    const session = await a.call<{ id: string }>("createSession", {
      userId: "ops",
      environment: "production",
    });
    const asked = await a.call<Summary>("execute", { ...deleteMain, sessionId: session.id });
    expect(asked).toMatchObject({ status: "pending", kind: "approval" });
    expect(await b.call("approve", { approvalId: asked.approvalId, approver: "boss" })).toMatchObject({
      ok: true,
    });
    expect(await a.call("approval", { approvalId: asked.approvalId })).toMatchObject({ status: "approved" });
    // the pending operation lives in the shared session: b resumes what a was asked
    const ran = await b.call<Summary>("resume", { sessionId: session.id, pendingId: asked.pendingId });
    expect(ran.status).toBe("succeeded");
    const again = await a.call<Summary>("resume", { sessionId: session.id, pendingId: asked.pendingId }).then(
      (summary) => summary.status,
      (error: { code?: string }) => error.code,
    );
    expect(again).not.toBe("succeeded");
    expect(await a.call("history", { sessionId: session.id })).toContain("succeeded");
  });

  it("a break-glass session activated on one is honoured by the other, and its expiry is seen by both", async () => {
    const activation = await a.call<{ ok: boolean; session?: { id: string } }>("activate", {
      userId: "ops",
      environment: "production",
      durationMs: 120_000,
    });
    expect(activation.ok).toBe(true);
    await revalidate();
    const onB = await b.call<Summary>("execute", { ...deleteMain, userId: "ops", environment: "production" });
    expect(onB.status).toBe("succeeded");
    expect(onB.checks).toContain("break-glass");
    expect(await b.call("activeSession", { userId: "ops", environment: "production" })).toMatchObject({
      id: activation.session?.id,
    });
    await Promise.all([a.call("advance", { ms: 120_001 }), b.call("advance", { ms: 120_001 })]);
    expect(await a.call("activeSession", { userId: "ops", environment: "production" })).toBeNull();
    expect(await b.call("activeSession", { userId: "ops", environment: "production" })).toBeNull();
    const [afterA, afterB] = await Promise.all([
      a.call<Summary>("execute", { ...deleteMain, userId: "ops", environment: "production" }),
      b.call<Summary>("execute", { ...deleteMain, userId: "ops", environment: "production" }),
    ]);
    expect(afterA.status).not.toBe("succeeded");
    expect(afterB.status).not.toBe("succeeded");
  });

  it("counts a rate limit across both", async () => {
    // the bot role allows 50 operations a minute: 60 runs on each at once, 50 succeed in all
    const [onA, onB] = await Promise.all([
      a.call<number>("burst", { count: 60, commandId: "list-clusters", userId: "bot" }),
      b.call<number>("burst", { count: 60, commandId: "list-clusters", userId: "bot" }),
    ]);
    expect(onA + onB).toBe(50);
  });

  it("verify() passes on both over interleaved audited runs", async () => {
    const burst = { count: 150, commandId: "configure-cluster", params: { cluster: "c1" }, userId: "dev" };
    const [onA, onB] = await Promise.all([a.call<number>("burst", burst), b.call<number>("burst", burst)]);
    expect(onA + onB).toBe(300);
    const [va, vb] = await Promise.all([
      a.call<{ ok: boolean; records: number }>("verify"),
      b.call<{ ok: boolean; records: number }>("verify"),
    ]);
    expect(va).toMatchObject({ ok: true });
    expect(vb).toMatchObject({ ok: true, records: va.records });
    expect(va.records).toBeGreaterThanOrEqual(600);
  });

  it("Redis killed and restarted mid-test loses no acknowledged approval; while it is down changes are denied", async () => {
    const session = await a.call<{ id: string }>("createSession", {
      userId: "ops",
      environment: "production",
    });
    const asked = await a.call<Summary>("execute", { ...deleteMain, sessionId: session.id });
    expect(asked).toMatchObject({ status: "pending", kind: "approval" });
    expect(await b.call("approve", { approvalId: asked.approvalId, approver: "boss" })).toMatchObject({
      ok: true,
    });
    await server.stop("SIGKILL");
    const down = await a.call<Summary>("execute", {
      commandId: "configure-cluster",
      params: { cluster: "c1" },
      userId: "dev",
    });
    // nothing ran, and the reason is the store, whichever step met it first
    expect(down.status).toBe("failed");
    expect(down.code).toBe("STORAGE_UNAVAILABLE");
    expect(down.message).toContain(`state store ${server.url} is unavailable`);
    const read = await b
      .call("approval", { approvalId: asked.approvalId })
      .catch((e: { code?: string }) => e);
    expect(read).toMatchObject({ code: "STORAGE_UNAVAILABLE" });

    await server.start();
    // waiting on the restarted redis-server to accept both clients again (external process)
    for (const instance of [a, b]) {
      for (let attempt = 0; ; attempt++) {
        const seen = await instance
          .call<{ status: string }>("approval", { approvalId: asked.approvalId })
          .catch((e: { code?: string }) => e);
        if ("status" in seen) {
          expect(seen.status).toBe("approved");
          break;
        }
        if (attempt > 1_000) throw new Error("Redis did not come back");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const ran = await b.call<Summary>("resume", { sessionId: session.id, pendingId: asked.pendingId });
    expect(ran.status).toBe("succeeded");
    expect(await a.call("verify")).toMatchObject({ ok: true });
    expect(await b.call("verify")).toMatchObject({ ok: true });
  });
});
