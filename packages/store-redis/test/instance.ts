// One framework instance in its own process, for the cross-process tests and the benchmark: a
// security facade whose whole state (approvals, break-glass, rate limits, audit chain) is in one
// shared Redis. Driven over stdin/stdout, one JSON line per request and per answer.
import { INFRA_PERMISSIONS } from "@espada/infra-core";
import type { OperationRequest, SecurityPoliciesInput } from "@espada/infra-core";
import { InfrastructureSecurityFacade } from "@espada/infra-security";
import type * as StoreRedis from "../src/index.js";
import { serveProcessInstance } from "../../../tooling/test/processServer.mjs";
import type { ProcessHandler } from "../../../tooling/test/processServer.mjs";

// the benchmark runs the built package (what ships), the tests its sources
const { createRedisStateStore } = (await import(
  process.env.ESPADA_STORE_REDIS_ENTRY ?? "../src/index.js"
)) as typeof StoreRedis;

const url = process.env.ESPADA_REDIS_URL ?? "";
const keyPrefix = process.env.ESPADA_REDIS_PREFIX ?? "espada";
/** The clock of this instance: real time plus an offset the test moves forward. */
let offset = 0;
const now = (): number => Date.now() + offset;

const POLICIES: SecurityPoliciesInput = {
  roles: [
    { id: "admin", permissions: [...INFRA_PERMISSIONS] },
    {
      id: "sre",
      permissions: [
        "infra:read",
        "infra:create",
        "infra:update",
        "infra:delete",
        "infra:approve",
        "infra:break-glass",
      ],
    },
    // every allowed check of a developer counts against a (generous) Redis-backed rate limit
    {
      id: "developer",
      permissions: ["infra:read", "infra:create", "infra:update"],
      environments: ["development", "staging"],
      rateLimit: { maxOperations: 100_000_000, windowMs: 60_000 },
    },
    { id: "bot", permissions: ["infra:read"], rateLimit: { maxOperations: 50, windowMs: 60_000 } },
  ],
  assignments: [
    { userId: "bot", roleId: "bot" },
    { userId: "ops", roleId: "sre" },
    { userId: "boss", roleId: "admin" },
    { userId: "dev", roleId: "developer" },
  ],
  breakGlass: [{ environment: "production", maxDurationMs: 600_000 }],
};

const store = await createRedisStateStore({ backend: "redis", redis: { url, keyPrefix } }, { now });
// ESPADA_REVALIDATE_MS=0: every check first asks whether another instance changed cached state (tests).
const revalidateMs = Number(process.env.ESPADA_REVALIDATE_MS ?? 1000);
const facade = await InfrastructureSecurityFacade.create({
  store,
  policies: POLICIES,
  audit: { key: Buffer.alloc(32, 7) },
  now,
  timers: false,
  revalidateMs,
});

let seq = 0;
function request(partial: Partial<OperationRequest>): OperationRequest {
  seq += 1;
  return {
    operationId: `${process.pid}-${seq}`,
    commandId: "list-instances",
    commandCategory: "monitor",
    providerId: "aws",
    userId: "dev",
    environment: "development",
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
    ...partial,
  };
}

const handlers: Record<string, ProcessHandler> = {
  check: (args) => facade.checkOperation(request(args)),
  approve: (args) => facade.approvals.approve(String(args.approvalId), String(args.approver)),
  reportOutcome: (args) =>
    facade.reportOutcome({
      operationId: String(args.operationId),
      userId: String(args.userId),
      resourceIds: (args.resourceIds as string[] | undefined) ?? [],
      outcome: "success",
      mutating: true,
    }),
  approval: (args) => facade.approvals.get(String(args.approvalId)),
  activate: (args) =>
    facade.breakGlass.activate({
      userId: String(args.userId),
      environment: String(args.environment),
      reasonCode: "outage",
      justification: "primary region down, failing over",
      durationMs: Number(args.durationMs),
    }),
  activeSession: (args) => facade.breakGlass.activeSession(String(args.userId), String(args.environment)),
  advance: (args) => {
    offset += Number(args.ms);
    return Promise.resolve(offset);
  },
  /** `count` audited checks, `inFlight` at a time; resolves with how many were allowed. */
  burst: async (args) => {
    const count = Number(args.count);
    const inFlight = Number(args.inFlight ?? 64);
    const users = Array.isArray(args.users) ? args.users.map(String) : ["dev", "ops"];
    const template = (args.request ?? {}) as Partial<OperationRequest>;
    let next = 0;
    let allowed = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) {
        const decision = await facade.checkOperation(
          request({ ...template, userId: users[i % users.length] ?? "dev" }),
        );
        if (decision.outcome === "allowed") allowed += 1;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return allowed;
  },
  verify: async () => (await facade.auditLog?.verify()) ?? { ok: false, reason: "no audit log" },
  whenReady: () => store.whenReady(),
  auditSize: () => Promise.resolve(facade.auditLog?.size ?? -1),
  /** CPU time this process has used, in µs (user + system), for the benchmark's per-check cost. */
  cpu: () => {
    const used = process.cpuUsage();
    return Promise.resolve(used.user + used.system);
  },
};

serveProcessInstance(handlers, async () => {
  await facade.close();
  await store.close();
});
