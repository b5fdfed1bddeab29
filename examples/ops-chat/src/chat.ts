import type { ConversationResponse } from "@espada/infra-conversation";
import { InfrastructureConversationManager, InfrastructureStateProvider } from "@espada/infra-conversation";
import { DEMO_POLICIES, openLocalStack } from "@espada/examples-demo";
import type { LocalStack } from "@espada/examples-demo";
import type { AuditVerification } from "@espada/infra-security";

/** One line of the transcript: someone in the chat, or an operator acting outside it. */
export interface TranscriptLine {
  readonly speaker: string;
  readonly text: string;
  /** The pipeline's answer kind, for lines the assistant says. */
  readonly kind?: ConversationResponse["kind"];
}

/** What the scripted conversation found, for a test to check. */
export interface OpsChatReport {
  readonly transcript: readonly TranscriptLine[];
  /** Every answer of the pipeline, in order. */
  readonly responses: readonly ConversationResponse[];
  /** Types of the audit records written, in order. */
  readonly auditTypes: readonly string[];
  /** The audit log's own verification at the end. */
  readonly verification: AuditVerification | undefined;
  /** Live compute processes just before the stack closed, and whether any outlived it. */
  readonly pids: readonly number[];
}

/**
 * The scripted conversation, over a fresh stack in `stateDir` (local-cloud behind the registry,
 * executor, file sessions and the security facade): chat in staging, a viewer refused, a critical
 * delete in production sent for approval and approved by an admin, a change freeze that denies a
 * scale-down until the on-call engineer activates break-glass, and the audit trail verified.
 * `print` hears each line as it is said.
 */
export async function runOpsChat(
  stateDir: string,
  print: (line: TranscriptLine) => void = () => undefined,
): Promise<OpsChatReport> {
  const stack: LocalStack = await openLocalStack(stateDir);
  const transcript: TranscriptLine[] = [];
  const responses: ConversationResponse[] = [];
  const note = (speaker: string, text: string, kind?: ConversationResponse["kind"]): void => {
    const line: TranscriptLine = kind === undefined ? { speaker, text } : { speaker, text, kind };
    transcript.push(line);
    print(line);
  };
  const state = new InfrastructureStateProvider();
  const offState = state.attach(stack.registry.events);
  const chat = new InfrastructureConversationManager({
    catalogue: stack.registry.catalogue,
    runner: stack.executor.runner,
    sessions: stack.sessions,
    state,
  });
  let pids: number[] = [];
  try {
    const staging = await stack.sessions.createSession({ userId: "alice", environment: "staging" });
    const bobStaging = await stack.sessions.createSession({ userId: "bob", environment: "staging" });
    const prod = await stack.sessions.createSession({ userId: "alice", environment: "production" });
    const say = async (user: string, sessionId: string, text: string): Promise<ConversationResponse> => {
      note(user, text);
      const response = await chat.processMessage(text, {
        conversationId: `${user}-${sessionId}`,
        sessionId,
        userId: user,
      });
      responses.push(response);
      note("espada", response.response, response.kind);
      return response;
    };
    const operator = (who: string, text: string): void => note(`(${who})`, text);

    // 1. Staging: plain words become commands; every change waits for "yes".
    await say("alice", staging.id, "what infrastructure providers are running?");
    await say("alice", staging.id, "create a bucket named assets");
    await say("alice", staging.id, "yes");
    await say("alice", staging.id, "create an instance named checkout-api with 2 replicas");
    await say("alice", staging.id, "yes");
    await say("alice", staging.id, "create a database named billing-database-eu");
    await say("alice", staging.id, "yes");
    await say("alice", staging.id, "scale checkout-api to 3");
    await say("alice", staging.id, "yes");

    // 2. A viewer is refused by RBAC, with the reason, after saying yes: nothing runs.
    await say("bob", bobStaging.id, "create a bucket named scratch-space");
    await say("bob", bobStaging.id, "yes");

    // 3. Production: deleting the billing database is critical; it waits for an admin's approval.
    await say("alice", prod.id, "delete the database billing-database-eu");
    const asked = await say("alice", prod.id, "db-billing-database-eu");
    const approvalId = asked.outcome?.approvalId;
    const pending = (await stack.sessions.getSession(prod.id))?.pendingOperations.find(
      (p) => p.approvalId === approvalId,
    );
    if (approvalId === undefined || pending === undefined)
      throw new Error("expected the delete to wait for approval");
    const self = await stack.security.approvals.approve(approvalId, "alice");
    operator(
      "alice, approval console",
      `approve ${approvalId} → ${self.ok ? "ok" : `refused: ${self.reason}`}`,
    );
    const approved = await stack.security.approvals.approve(approvalId, "carol", {
      comment: "billing moved to the new cluster",
    });
    operator(
      "carol, approval console",
      `approve ${approvalId} → ${approved.ok ? "ok" : `refused: ${approved.reason}`}`,
    );
    const resumed = await stack.executor.runner.resume(prod.id, pending.id, {
      approvalId,
      approvedBy: "carol",
    });
    operator(
      "alice, approval console",
      `resume ${pending.commandId} → ${resumed.status}${resumed.status === "succeeded" ? ` ${JSON.stringify(resumed.result.data)}` : ""}`,
    );

    // 4. A change freeze on production: a scale-down is denied until alice (sre) opens break-glass.
    const now = Date.now();
    const freeze = await stack.security.reloadPolicies(
      {
        ...DEMO_POLICIES,
        blackouts: [
          {
            id: "quarter-end-freeze",
            environments: ["production"],
            start: new Date(now - 3_600_000).toISOString(),
            end: new Date(now + 7_200_000).toISOString(),
            reason: "quarter-end change freeze",
          },
        ],
      },
      "carol",
    );
    operator(
      "carol, policy console",
      `production change freeze for the next 2 hours → ${freeze.success ? "applied" : "refused"}`,
    );
    await say("alice", prod.id, "scale checkout-api to 1");
    await say("alice", prod.id, "yes");
    const bobGlass = await stack.security.breakGlass.activate({
      userId: "bob",
      environment: "production",
      reasonCode: "incident",
      justification: "I want to help with the incident",
    });
    operator("bob, break-glass", `activate → ${bobGlass.ok ? "active" : `refused: ${bobGlass.reason}`}`);
    const glass = await stack.security.breakGlass.activate({
      userId: "alice",
      environment: "production",
      reasonCode: "incident",
      justification: "checkout-api is exhausting memory on the shared host",
      ticket: "INC-4711",
      durationMs: 900_000,
    });
    operator(
      "alice, break-glass",
      `activate → ${glass.ok ? `active until ${new Date(glass.session.expiresAt).toISOString()} (${glass.session.id})` : `refused: ${glass.reason}`}`,
    );
    await say("alice", prod.id, "scale checkout-api to 1");
    await say("alice", prod.id, "yes");
    if (glass.ok) {
      const off = await stack.security.breakGlass.deactivate(glass.session.id, "alice");
      operator("alice, break-glass", `deactivate → ${off ? "closed" : "was not active"}`);
    }

    // 5. The audit trail: every decision above is a record in one hash chain.
    const records = (await stack.security.auditLog?.query({})) ?? [];
    const verification = await stack.security.auditLog?.verify();
    const interesting = new Set([
      "permission_denied",
      "access_denied",
      "operation_approved",
      "break_glass_activated",
      "break_glass_deactivated",
      "policy_changed",
      "operation_rejected",
    ]);
    for (const r of records.filter((x) => interesting.has(x.type))) {
      operator(
        "audit",
        `#${r.seq} ${r.type} by ${r.actor}${r.commandId === undefined ? "" : ` ${r.commandId}`}${r.environment === undefined ? "" : ` in ${r.environment}`}${r.outcome === undefined ? "" : ` → ${r.outcome}`}`,
      );
    }
    operator(
      "audit",
      `verify(): ${verification?.ok === true ? `chain intact, ${verification.records} records` : `BROKEN ${JSON.stringify(verification)}`}`,
    );
    pids = await stack.livePids();
    return { transcript, responses, auditTypes: records.map((r) => r.type), verification, pids };
  } finally {
    offState();
    await stack.close();
  }
}
