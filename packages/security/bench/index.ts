// Benchmarks of @espada/infra-security; writes .bench/results.json. Run with `pnpm bench`.
// Ratios are measured side by side in one run (interleaved rounds, median per decision).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type { AuditEventInput, OperationRequest } from "@espada/infra-core";
import type * as CedarModule from "@cedar-policy/cedar-wasm/nodejs";
import { createInMemoryStateStore, FileStateStore } from "@espada/infra-sessions";
import { newEnforcer, newModelFromString, StringAdapter } from "casbin";
import type * as Security from "../src/index.js";
import { builtEntry } from "../../../tooling/bench/builtEntry.js";
import { CASBIN_MODEL, casbinPolicy, cedarPolicies, scenario } from "./scenario.js";
import type { Scenario } from "./scenario.js";

interface Result {
  name: string;
  value: number;
  unit: string;
  better: "lower" | "higher";
  target?: number;
}

// Node 20's V8 aborts ("unreachable code" in Deoptimizer::DoComputeBuiltinContinuation, a "JS to Wasm
// builtin continuation frame") when it lazily deoptimises a function into which it inlined a call to
// Cedar's wasm, as happens once the garbage of the check section dies. Calling wasm without inlining
// avoids it; it costs nanoseconds against Cedar's hundreds of microseconds per decision.
setFlagsFromString("--no-turbo-inline-js-wasm-calls");
const cedar = createRequire(import.meta.url)("@cedar-policy/cedar-wasm/nodejs") as typeof CedarModule;
// The built package, as it ships (tsx would add its own helpers to every function of the source).
const { InfrastructureAuditLogger, InfrastructureSecurityFacade } = (await import(
  builtEntry(join(import.meta.dirname, ".."))
)) as typeof Security;

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? Number.NaN;
const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

const s: Scenario = scenario(2000);

async function facade(
  audit: boolean,
  store = createInMemoryStateStore(),
): Promise<Security.InfrastructureSecurityFacade> {
  return InfrastructureSecurityFacade.create({
    store,
    policies: s.policies,
    audit: audit ? { key: Buffer.alloc(32, 5) } : false,
    timers: false,
  });
}

/**
 * checkOperation latency, one call at a time (audit off), in steady state: the warm-up is as long as
 * the measured run, so V8 has finished optimising the check path (on a busy 2-core machine its
 * background compiles were still landing inside the measured run after a 4,000-check warm-up, and
 * made most of the slowest percent; see docs/decisions.md).
 */
async function checkLatency(): Promise<Result[]> {
  const f = await facade(false);
  for (let i = 0; i < 40_000; i++) await f.checkOperation(s.requests[i % s.requests.length] as never);
  const times: number[] = [];
  for (let i = 0; i < 40_000; i++) {
    const request = s.requests[i % s.requests.length];
    if (request === undefined) continue;
    const start = process.hrtime.bigint();
    await f.checkOperation(request);
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  await f.close();
  const p50 = quantile(times, 0.5);
  const p99 = quantile(times, 0.99);
  console.log(`checkOperation (audit off): p50 ${p50.toFixed(2)} µs, p99 ${p99.toFixed(2)} µs`);
  return [
    { name: "security.check.p50_us", value: round(p50, 2), unit: "us", better: "lower", target: 2.5 },
    { name: "security.check.p99_us", value: round(p99, 2), unit: "us", better: "lower", target: 10 },
  ];
}

/** Our RBAC, Cedar, casbin and the whole check on the same requests; decisions checked equal. */
async function ratios(): Promise<Result[]> {
  const f = await facade(false);
  const rbac = f.rbac;
  const ours = s.questions.map(
    (q) =>
      rbac.check({
        userId: q.userId,
        permission: q.permission,
        environment: q.environment,
        resourceIds: [q.resource],
      }).allowed,
  );

  const parsed = cedar.preparsePolicySet("bench", { staticPolicies: cedarPolicies(s) });
  if (parsed.type !== "success") throw new Error(`cedar policies: ${JSON.stringify(parsed.errors)}`);
  const rolesOf = new Map<string, string[]>();
  for (const a of s.assignments) rolesOf.set(a.userId, [...(rolesOf.get(a.userId) ?? []), a.roleId]);
  const cedarCalls = s.questions.map((q) => ({
    principal: { type: "User", id: q.userId },
    action: { type: "Action", id: q.permission },
    resource: { type: "Resource", id: q.resource },
    context: { env: q.environment, resource: q.resource },
    preparsedPolicySetId: "bench",
    entities: [
      {
        uid: { type: "User", id: q.userId },
        attrs: {},
        parents: (rolesOf.get(q.userId) ?? []).map((id) => ({ type: "Role", id })),
      },
      ...(rolesOf.get(q.userId) ?? []).map((id) => ({ uid: { type: "Role", id }, attrs: {}, parents: [] })),
    ],
  }));
  const cedarDecide = (i: number): boolean => {
    const answer = cedar.statefulIsAuthorized(cedarCalls[i] as never);
    if (answer.type !== "success") throw new Error(`cedar: ${JSON.stringify(answer.errors)}`);
    return answer.response.decision === "allow";
  };
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter(casbinPolicy(s)));
  const casbinDecide = (i: number): boolean => {
    const q = s.questions[i];
    return q !== undefined && enforcer.enforceSync(q.userId, q.environment, q.permission, q.resource);
  };
  let mismatches = 0;
  for (let i = 0; i < s.questions.length; i++) {
    if (cedarDecide(i) !== ours[i] || casbinDecide(i) !== ours[i]) mismatches += 1;
  }
  if (mismatches > 0) throw new Error(`${mismatches} decisions differ between our RBAC and cedar/casbin`);
  const allowed = ours.filter(Boolean).length;
  console.log(
    `decisions equal across engines on ${s.questions.length} requests (${allowed} allowed, ${s.questions.length - allowed} denied)`,
  );

  const n = s.questions.length;
  const timeSync = (fn: (i: number) => unknown, repeat: number): number => {
    const start = process.hrtime.bigint();
    for (let r = 0; r < repeat; r++) for (let i = 0; i < n; i++) fn(i);
    return Number(process.hrtime.bigint() - start) / 1000 / (n * repeat);
  };
  const ourRbac = (i: number): unknown => {
    const q = s.questions[i];
    return q === undefined
      ? undefined
      : rbac.check({
          userId: q.userId,
          permission: q.permission,
          environment: q.environment,
          resourceIds: [q.resource],
        });
  };
  const timeCheck = async (): Promise<number> => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await f.checkOperation(s.requests[i] as never);
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  };
  const rounds = {
    rbac: [] as number[],
    cedar: [] as number[],
    casbin: [] as number[],
    check: [] as number[],
  };
  for (let warm = 0; warm < 2; warm++) {
    timeSync(ourRbac, 5);
    timeSync(cedarDecide, 1);
    timeSync(casbinDecide, 1);
    await timeCheck();
  }
  for (let round = 0; round < 9; round++) {
    // alternate the order so neither engine always runs first
    const order =
      round % 2 === 0 ? ["rbac", "cedar", "casbin", "check"] : ["check", "casbin", "cedar", "rbac"];
    for (const name of order) {
      if (name === "rbac") rounds.rbac.push(timeSync(ourRbac, 20));
      if (name === "cedar") rounds.cedar.push(timeSync(cedarDecide, 1));
      if (name === "casbin") rounds.casbin.push(timeSync(casbinDecide, 1));
      if (name === "check") rounds.check.push(await timeCheck());
    }
  }
  await f.close();
  const m = {
    rbac: median(rounds.rbac),
    cedar: median(rounds.cedar),
    casbin: median(rounds.casbin),
    check: median(rounds.check),
  };
  console.log(
    `median per decision: our RBAC ${m.rbac.toFixed(3)} µs, cedar-wasm ${m.cedar.toFixed(2)} µs, casbin ${m.casbin.toFixed(2)} µs, whole checkOperation ${m.check.toFixed(2)} µs`,
  );
  return [
    {
      name: "security.rbac_vs_cedar.ratio",
      value: round(m.rbac / m.cedar, 4),
      unit: "ratio",
      better: "lower",
      target: 1,
    },
    {
      name: "security.rbac_vs_casbin.ratio",
      value: round(m.rbac / m.casbin, 4),
      unit: "ratio",
      better: "lower",
      target: 1,
    },
    {
      name: "security.check_vs_rbac.ratio",
      value: round(m.check / m.rbac, 2),
      unit: "ratio",
      better: "lower",
      target: 4,
    },
  ];
}

/**
 * Audited checks per second on the file store with 256 checks in flight, as a gateway serving many
 * users at once would have them: records (and approval requests) queued while a batch is being
 * written are group-committed together, one fsync per batch, each check answered only after the
 * fsync covering its record. Every check has its own operation id, so each needs-approval check opens
 * a new request. The chain is verified at the end.
 */
async function auditedThroughput(dir: string): Promise<Result> {
  const store = await FileStateStore.open({ directory: dir });
  const f = await facade(true, store);
  const inFlight = 256;
  const total = 20_000;
  let next = 0;
  // the warm-up uses other operation ids, so a needs-approval check of the measured run opens a new request
  let prefix = "warm";
  const worker = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const request = s.requests[i % s.requests.length] as OperationRequest;
      await f.checkOperation({ ...request, operationId: `${prefix}-${i}` });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker)); // warm-up
  next = 0;
  prefix = "a";
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const perSecond = total / ((performance.now() - start) / 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const verified = await f.auditLog?.verify();
  await f.close();
  await store.close();
  if (verified?.ok !== true) throw new Error("audit chain broken after the audited bench");
  console.log(
    `audited checks on the file store: ${Math.round(perSecond)}/s, ${((cpu.user + cpu.system) / total).toFixed(1)} µs CPU per check (all threads; ${(cpu.system / total).toFixed(1)} µs of it system) (${verified.records} records verified)`,
  );
  return {
    name: "security.check_audited.per_s",
    value: Math.round(perSecond),
    unit: "ops/s",
    better: "higher",
    target: 50_000,
  };
}

/** verify() speed on a 100,000-record log. */
async function verifySpeed(): Promise<Result> {
  const store = createInMemoryStateStore();
  const log = await InfrastructureAuditLogger.open({ store, key: Buffer.alloc(32, 1) });
  const event = (i: number): AuditEventInput => ({
    type: "permission_granted",
    actor: `u${i % 1000}`,
    operationId: `op-${i}`,
    environment: "production",
    outcome: "success",
    details: { permission: "infra:read", resourceIds: [`r-${i}`] },
  });
  for (let b = 0; b < 100; b++)
    await Promise.all(Array.from({ length: 1000 }, (_, i) => log.record(event(b * 1000 + i))));
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    const result = await log.verify();
    if (!result.ok) throw new Error("verify failed");
    rates.push(result.records / ((performance.now() - start) / 1000));
  }
  const rate = median(rates);
  console.log(`audit verify: ${Math.round(rate)} records/s`);
  return {
    name: "security.audit_verify.per_s",
    value: Math.round(rate),
    unit: "records/s",
    better: "higher",
    target: 500_000,
  };
}

const work = mkdtempSync(join(tmpdir(), "espada-security-bench-"));
console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")} on ${availableParallelism()} cores`,
);
try {
  // BENCH_ONLY=check,ratios,audited,verify runs some sections (development); results.json is written only by a full run.
  const only = process.env.BENCH_ONLY?.split(",").map((x) => x.trim());
  const run = (name: string): boolean => only === undefined || only.includes(name);
  const results: Result[] = [];
  if (run("check")) results.push(...(await checkLatency()));
  if (run("ratios")) results.push(...(await ratios()));
  if (run("audited")) results.push(await auditedThroughput(join(work, "audited")));
  if (run("verify")) results.push(await verifySpeed());
  console.log(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
  if (only === undefined) {
    const out = join(import.meta.dirname, "..", ".bench");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(JSON.stringify(results, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
