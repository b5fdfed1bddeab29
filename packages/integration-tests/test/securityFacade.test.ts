import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { ExecutionOutcome } from "@espada/infra-core";
import { FileStateStore } from "@espada/infra-sessions";
import { InfrastructureSecurityFacade } from "@espada/infra-security";
import type { ProviderRun } from "./support/exampleProvider.js";
import { INSTANCE_ID, createWorkspace, openStack } from "./support/stack.js";
import type { Stack, Workspace } from "./support/stack.js";

// The security facade as the executor's gate AND audit sink, its state on the FILE store, built from
// core's securityConfig section; everything it keeps survives a restart of the whole stack.

const AUDIT_KEY = Buffer.alloc(32, 7).toString("base64");
const SECURITY_CONFIG = {
  audit: { enabled: true },
  policies: {
    assignments: [
      { userId: "root", roleId: "admin" },
      { userId: "boss", roleId: "admin" },
      { userId: "ops", roleId: "sre" },
      { userId: "oncall", roleId: "sre" },
    ],
    // high and critical risk in production need one admin's approval
    approvalChains: [
      {
        id: "prod-risky",
        riskLevels: ["high", "critical"],
        environments: ["production"],
        steps: [{ role: "admin", approvers: 1 }],
      },
    ],
  },
};
const DELETE = {
  instanceId: INSTANCE_ID,
  commandId: "delete-instance",
  params: { instanceId: "i-1" },
} as const;

function codeOf(outcome: ExecutionOutcome): string {
  return outcome.status === "succeeded" || outcome.status === "pending"
    ? outcome.status
    : outcome.result.error.code;
}

interface Security {
  readonly store: FileStateStore;
  readonly facade: InfrastructureSecurityFacade;
  close(): Promise<void>;
}

async function openSecurity(workspace: Workspace): Promise<Security> {
  const store = await FileStateStore.open({ directory: join(workspace.root, "security-state") });
  const facade = await InfrastructureSecurityFacade.fromConfig(SECURITY_CONFIG, {
    store,
    auditKey: AUDIT_KEY,
    env: {},
  });
  return {
    store,
    facade,
    async close() {
      await facade.close();
      await store.close();
    },
  };
}

describe("the security facade as gate and audit sink on the file store, across a restart", () => {
  let workspace: Workspace;
  let stack: Stack | undefined;
  let security: Security | undefined;
  const runs: ProviderRun[] = [];

  beforeEach(async () => {
    workspace = await createWorkspace();
    runs.length = 0;
  });

  afterEach(async () => {
    await stack?.close();
    await security?.close();
    stack = undefined;
    security = undefined;
    await workspace.remove();
  });

  it("keeps role assignments, approvals, break-glass sessions and the audit chain; verify() passes after the restart", async () => {
    security = await openSecurity(workspace);
    stack = await openStack({ workspace, runs, gate: security.facade, audit: security.facade });

    // an operation needing approval: stored as pending in the session, the approval in the security store
    const session = await stack.sessions.createSession({ userId: "ops", environment: "production" });
    const first = await stack.executor.execute({ ...DELETE, sessionId: session.id });
    expect(first.status).toBe("pending");
    if (first.status !== "pending") return;
    const approvalId = first.pending.approvalId ?? "";
    expect(approvalId).not.toBe("");
    expect(runs).toEqual([]);

    // a denied user is denied by the facade's RBAC, with its reason
    const stranger = await stack.sessions.createSession({ userId: "mallory", environment: "production" });
    expect(codeOf(await stack.executor.execute({ ...DELETE, sessionId: stranger.id }))).toBe(
      "SECURITY_DENIED",
    );

    // a runtime role assignment and a break-glass session
    expect(await security.facade.rbac.assignRole("root", { userId: "newbie", roleId: "viewer" })).toEqual({
      ok: true,
    });
    const glass = await security.facade.breakGlass.activate({
      userId: "oncall",
      environment: "staging",
      reasonCode: "incident",
      justification: "database on fire, paging everyone",
    });
    expect(glass.ok).toBe(true);
    const recordsBefore = security.facade.auditLog?.size ?? 0;
    expect(recordsBefore).toBeGreaterThan(4);
    expect(await security.facade.auditLog?.verify()).toEqual({ ok: true, records: recordsBefore });

    // restart everything: stack, facade, store
    await stack.close();
    await security.close();
    security = await openSecurity(workspace);
    stack = await openStack({ workspace, runs, gate: security.facade, audit: security.facade });
    const facade = security.facade;

    // the audit chain came back whole
    expect(facade.auditLog?.size).toBe(recordsBefore);
    expect(await facade.auditLog?.verify()).toEqual({ ok: true, records: recordsBefore });

    // the role assignment survived
    expect(facade.rbac.activeRoles("newbie", "production")).toEqual(["viewer"]);
    const read = await facade.whatIf({
      operationId: "read-1",
      commandId: "list-instances",
      commandCategory: "monitor",
      providerId: "my-cloud",
      userId: "newbie",
      environment: "production",
      params: {},
      resourceIds: [],
      dangerous: false,
      mutating: false,
      dryRun: false,
      rollbackAvailable: false,
      confirmationRequired: false,
      confirmationReasons: [],
      confirmed: false,
      resumed: false,
    });
    expect(read.outcome).toBe("allowed");

    // the break-glass session survived and still bypasses the checks
    const active = await facade.breakGlass.activeSession("oncall", "staging");
    expect(active?.id).toBe(glass.ok ? glass.session.id : "");

    // the approval survived: still pending, then approved by another admin, and the operation runs once
    expect((await facade.approvals.get(approvalId))?.status).toBe("pending");
    const waiting = await stack.executor.resume(session.id, first.pending.id, { approvalId });
    expect(waiting.status).toBe("pending");
    expect(runs).toEqual([]);
    expect((await facade.approvals.approve(approvalId, "ops")).ok).toBe(false); // the requester never approves
    expect((await facade.approvals.approve(approvalId, "boss")).ok).toBe(true);
    // approved, the dangerous command still needs its requester's explicit confirmation
    const unconfirmed = await stack.executor.resume(session.id, first.pending.id, {
      approvalId,
      approvedBy: "boss",
    });
    expect(unconfirmed.status).toBe("pending");
    expect(runs).toEqual([]);
    const pendingId = unconfirmed.status === "pending" ? unconfirmed.pending.id : "";
    const done = await stack.executor.resume(session.id, pendingId, {
      approvalId,
      approvedBy: "boss",
      confirmed: true,
      confirmedBy: "ops",
    });
    expect(codeOf(done)).toBe("succeeded");
    expect(runs.map((r) => r.commandId)).toEqual(["delete-instance"]);

    // every step after the restart continued the same chain; it verifies, and a third open agrees
    const records = await facade.auditLog?.query({ operationId: first.executionId });
    expect(records?.map((r) => r.type)).toEqual(
      expect.arrayContaining([
        "operation_requested",
        "operation_approved",
        "permission_granted",
        "operation_completed",
      ]),
    );
    const total = facade.auditLog?.size ?? 0;
    expect(total).toBeGreaterThan(recordsBefore);
    expect(await facade.auditLog?.verify()).toEqual({ ok: true, records: total });
    await stack.close();
    stack = undefined;
    await security.close();
    security = await openSecurity(workspace);
    expect(await security.facade.auditLog?.verify()).toEqual({ ok: true, records: total });
  });
});
