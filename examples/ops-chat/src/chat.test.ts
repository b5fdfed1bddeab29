import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runOpsChat } from "./chat.js";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("ops-chat: a scripted conversation against local-cloud", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "ops-chat-test-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("shows risk, RBAC, approval, a blackout, break-glass and a verified audit trail, and stops every process", async () => {
    const report = await runOpsChat(join(root, ".espada-infra"));
    const said = report.transcript.map((l) => `${l.speaker}> ${l.text}`);
    const kinds = report.responses.map((r) => r.kind);

    // Staging: four changes, each confirmed, each executed.
    expect(report.responses.filter((r) => r.kind === "executed").map((r) => r.command?.commandId)).toEqual([
      "create-bucket",
      "create-instance",
      "create-database",
      "scale-instance",
      "scale-instance",
    ]);
    expect(
      report.responses.find((r) => r.command?.commandId === "create-instance")?.command?.params,
    ).toMatchObject({ name: "checkout-api", replicas: 2 });
    // The viewer is denied by RBAC, with the reason and the risk.
    const denied = report.responses.filter((r) => r.kind === "denied");
    expect(denied[0]?.response).toMatch(
      /no role of "bob" grants infra:create in staging\. Risk score: [\d.]+\/100/,
    );
    // The critical delete in production waits for approval; the requester cannot approve it, an admin can.
    const approval = report.responses.find((r) => r.kind === "pending-approval");
    expect(approval?.response).toMatch(/risk [\d.]+\/100, critical/);
    expect(said).toContain(
      `(alice, approval console)> approve ${approval?.outcome?.approvalId} → refused: the requester cannot approve their own request`,
    );
    expect(
      said.some((l) => l.startsWith("(alice, approval console)> resume delete-database → succeeded")),
    ).toBe(true);
    // The freeze denies the scale-down; break-glass (refused to a viewer) lets the on-call sre through.
    expect(denied[1]?.response).toContain('blackout "quarter-end-freeze"');
    expect(said.some((l) => l.startsWith("(bob, break-glass)> activate → refused"))).toBe(true);
    expect(kinds.at(-1)).toBe("executed");
    // Every step is in one verified audit chain.
    expect(report.auditTypes).toEqual(
      expect.arrayContaining([
        "permission_denied",
        "operation_approved",
        "policy_changed",
        "access_denied",
        "break_glass_activated",
        "break_glass_deactivated",
        "operation_completed",
      ]),
    );
    expect(report.verification).toEqual({ ok: true, records: report.auditTypes.length });
    // checkout-api ran one process at the end, and nothing outlived the stack.
    expect(report.pids).toHaveLength(1);
    expect(report.pids.filter(isAlive)).toEqual([]);
  });
});
