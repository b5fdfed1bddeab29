// `pnpm demo`: local-cloud (real directories, processes and SQLite files) driven through the framework —
// registry and lifecycle, the command executor, file-backed sessions and the security gate — with a
// session resumed by a second process. Everything lives in one temp `.espada-infra` directory, removed
// at the end; no process is left running.
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExecuteRequest, ExecutionOutcome } from "@espada/infra-core";
import { LOCAL_INSTANCE, demoConfig, openLocalStack } from "./stack.js";
import type { LocalStack } from "./stack.js";

const heading = (text: string): void => console.log(`\n== ${text}`);
const line = (text: string): void => console.log(`   ${text}`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One line per outcome: status, risk, and the data or the reasons. */
function describe(outcome: ExecutionOutcome): string {
  const decision = "decision" in outcome ? outcome.decision : undefined;
  const risk = decision === undefined ? "" : ` [risk ${decision.risk.score}/100 ${decision.risk.level}]`;
  switch (outcome.status) {
    case "succeeded": {
      const data = JSON.stringify(outcome.result.data);
      return `succeeded${risk}: ${data.length > 150 ? `${data.slice(0, 147)}...` : data}`;
    }
    case "pending":
      return `pending ${outcome.pending.kind}${outcome.pending.approvalId === undefined ? "" : ` ${outcome.pending.approvalId}`}${risk}: ${outcome.pending.reason}`;
    case "denied":
      return `denied${risk}: ${(decision?.reasons ?? [])
        .filter((r) => !r.passed)
        .map((r) => `${r.check}: ${r.message}`)
        .join("; ")}`;
    default:
      return `${outcome.status} ${outcome.result.error.code}: ${outcome.result.error.message}`;
  }
}

async function run(
  stack: LocalStack,
  label: string,
  request: Omit<ExecuteRequest, "instanceId">,
): Promise<ExecutionOutcome> {
  const outcome = await stack.executor.runner.execute({ instanceId: LOCAL_INSTANCE, ...request });
  line(`${label}\n     → ${describe(outcome)}`);
  return outcome;
}

async function firstProcess(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "espada-demo-"));
  const stateDir = join(root, ".espada-infra");
  try {
    heading(
      `1. the plugin shell builds the framework: discovery, registry, lifecycle, executor, file sessions, security gate (state in ${stateDir})`,
    );
    let stack = await openLocalStack(stateDir);
    const plugin = stack.registry.getFactory("local-cloud")?.plugin;
    line(
      `discovery found local-cloud's manifest: ${plugin?.name ?? "?"} ${plugin?.version ?? ""} in ${plugin?.path ?? "?"}`,
    );
    const [instance] = stack.registry.catalogue.listInstances();
    line(
      `provider ${instance?.providerId} instance ${instance?.instanceId}: ${instance?.state}, ${stack.registry.catalogue.listCommands(LOCAL_INSTANCE)?.length} commands`,
    );
    const health = await stack.registry.lifecycle.checkHealth(LOCAL_INSTANCE);
    line(`health: ${health?.status ?? "unknown"}`);

    heading(
      "2. alice (role sre) works in development: every call passes validation, the gate and the audit log",
    );
    const dev = await stack.sessions.createSession({ userId: "alice", environment: "development" });
    await run(stack, "create-bucket assets", {
      sessionId: dev.id,
      commandId: "create-bucket",
      params: { name: "assets" },
    });
    await run(stack, "put-object assets/index.html", {
      sessionId: dev.id,
      commandId: "put-object",
      params: { bucket: "assets", key: "index.html", content: "<h1>hello</h1>" },
    });
    const web = await run(stack, "create-instance web, 2 processes", {
      sessionId: dev.id,
      commandId: "create-instance",
      params: { name: "web", replicas: 2 },
    });
    const webPids = web.status === "succeeded" ? (web.result.data as { pids: number[] }).pids : [];
    await run(stack, "create-database billing-database-eu", {
      sessionId: dev.id,
      commandId: "create-database",
      params: {
        name: "billing-database-eu",
        schema:
          "create table invoices (id integer primary key, total real); insert into invoices (total) values (120.5), (99)",
      },
    });
    await run(stack, 'create-instance with replicas: "two" (refused before the gate)', {
      sessionId: dev.id,
      commandId: "create-instance",
      params: { name: "bad", replicas: "two" },
    });

    heading("3. bob (role viewer) may read but not create");
    const bobSession = await stack.sessions.createSession({ userId: "bob", environment: "development" });
    await run(stack, "list-resources", { sessionId: bobSession.id, commandId: "list-resources" });
    await run(stack, "create-instance rogue", {
      sessionId: bobSession.id,
      commandId: "create-instance",
      params: { name: "rogue" },
    });

    heading("4. alice in production: deleting the billing database is critical and waits for an approver");
    const prod = await stack.sessions.createSession({ userId: "alice", environment: "production" });
    await run(stack, "delete-database billing-database-eu (dry run)", {
      sessionId: prod.id,
      commandId: "delete-database",
      params: { database: "billing-database-eu" },
      dryRun: true,
    });
    const pending = await run(stack, "delete-database billing-database-eu", {
      sessionId: prod.id,
      commandId: "delete-database",
      params: { database: "billing-database-eu" },
      confirmed: true,
    });
    if (pending.status === "pending" && pending.decision !== undefined) {
      for (const f of pending.decision.risk.factors)
        line(`  risk factor ${f.name.padEnd(22)} ${f.contribution.toFixed(2).padStart(6)}  ${f.description}`);
    }

    heading(
      "5. this process stops: executor, registry (every compute process stopped), sessions and audit closed",
    );
    await stack.close();
    line(`web's processes ${webPids.join(", ")} alive after stop: ${webPids.filter(isAlive).length}`);

    heading("6. a second process opens the same state directory and resumes the session");
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--resume", stateDir, prod.id], {
        stdio: "inherit",
      });
      child.once("error", reject);
      child.once("exit", (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`the second process exited with code ${code}`);

    heading("9. the same state from the command line: espada-infra (a third process) reads it");
    const configFile = join(root, "espada.yaml");
    await writeFile(
      configFile,
      `${JSON.stringify({ extensions: { infrastructure: demoConfig(stateDir) } }, null, 2)}\n`,
    ); // JSON is YAML
    const bin = join(
      dirname(fileURLToPath(import.meta.resolve("@espada/infrastructure/package.json"))),
      "dist",
      "bin.js",
    );
    for (const args of [["sessions"], ["approvals", "list"], ["audit", "verify"]]) {
      line(`$ espada-infra --config ${configFile} --user carol ${args.join(" ")}`);
      const cli = spawnSync(process.execPath, [bin, "--config", configFile, "--user", "carol", ...args], {
        encoding: "utf8",
      });
      for (const text of `${cli.stdout}${cli.stderr}`.trimEnd().split("\n")) line(`  ${text}`);
      if (cli.status !== 0) throw new Error(`espada-infra ${args.join(" ")} exited with ${cli.status}`);
    }

    heading(
      "10. back in the first process: the state is still there; reopening shows it once more, then everything is removed",
    );
    stack = await openLocalStack(stateDir);
    const history = await stack.sessions.getHistory(prod.id);
    line(`session ${prod.id}: ${history.map((h) => `${h.commandId}=${h.status}`).join(", ")}`);
    const pids = await stack.livePids();
    await stack.close();
    line(`processes left after close: ${pids.filter(isAlive).length} of ${pids.length}`);

    heading("what to try next");
    line(
      "• node packages/infrastructure/dist/bin.js --help     espada-infra: exec, approvals, break-glass, audit, chat (packages/infrastructure/README.md)",
    );
    line(
      "• pnpm --filter @espada/examples-local-cloud start   local-cloud on its own: processes, SQLite, snapshots, rollback",
    );
    line(
      "• pnpm --filter @espada/examples-ops-chat start      the same cloud through chat: risk, approval, break-glass, audit",
    );
    line(
      "• pnpm --filter @espada/examples-hello-cloud start   the spec's SDK example, registered and driven through the framework",
    );
    line(
      "• examples/local-cloud/src/provider.ts              write your own provider the same way (sdk + core only)",
    );
    line(
      "• packages/security/README.md                        change the roles, approval chains and time windows the gate applies",
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function secondProcess(stateDir: string, sessionId: string): Promise<void> {
  const stack = await openLocalStack(stateDir);
  try {
    const session = await stack.sessions.getSession(sessionId);
    if (session === undefined) throw new Error(`session ${sessionId} was not found after the restart`);
    line(
      `pid ${process.pid}: session ${session.id} resumed from disk — user ${session.userId}, environment ${session.environment}, state ${session.state}`,
    );
    for (const op of session.pendingOperations)
      line(
        `pending ${op.kind}: ${op.commandId} ${JSON.stringify(op.params)} (approval ${op.approvalId ?? "-"})`,
      );
    const listed = await stack.executor.runner.execute({
      instanceId: LOCAL_INSTANCE,
      commandId: "list-resources",
      userId: "carol",
    });
    if (listed.status === "succeeded") {
      const data = listed.result.data as { instances: { name: string; processes: { pid: number }[] }[] };
      for (const i of data.instances)
        line(
          `instance ${i.name} restarted from its desired state: pids ${i.processes.map((p) => p.pid).join(", ")}`,
        );
    }

    heading("7. carol (admin) approves; the operation runs exactly once, after a snapshot");
    const op = session.pendingOperations[0];
    if (op?.approvalId === undefined) throw new Error("no pending approval in the session");
    const self = await stack.security.approvals.approve(op.approvalId, "alice");
    line(`alice approves her own request → ${self.ok ? "ok" : `refused: ${self.reason}`}`);
    const approved = await stack.security.approvals.approve(op.approvalId, "carol");
    line(`carol approves → ${approved.ok ? "ok" : `refused: ${approved.reason}`}`);
    const done = await stack.executor.runner.resume(session.id, op.id, {
      approvalId: op.approvalId,
      approvedBy: "carol",
    });
    line(`resume ${op.commandId}\n     → ${describe(done)}`);
    const again = await stack.executor.runner.resume(session.id, op.id, {
      approvalId: op.approvalId,
      approvedBy: "carol",
    });
    line(`resume it again\n     → ${describe(again)}`);

    heading(
      "8. it was the wrong database: roll it back (the gate hears rolled-back), then check the audit trail",
    );
    if (done.status === "succeeded") {
      await run(stack, `rollback-operation ${done.executionId}`, {
        sessionId: session.id,
        commandId: "rollback-operation",
        params: { executionId: done.executionId },
        rollbackOf: done.executionId,
      });
    }
    await run(stack, "query-database billing-database-eu", {
      sessionId: session.id,
      commandId: "query-database",
      params: {
        database: "billing-database-eu",
        sql: "select count(*) as invoices, sum(total) as total from invoices",
      },
    });
    const trail = (await stack.security.auditLog?.query({})) ?? [];
    for (const r of trail.slice(-8))
      line(
        `audit #${r.seq} ${r.type.padEnd(22)} ${r.actor.padEnd(6)} ${r.commandId ?? ""} ${r.outcome ?? ""}`,
      );
    const verified = await stack.security.auditLog?.verify();
    line(
      `audit log: ${trail.length} records, chain verified: ${verified?.ok === true ? `yes (${verified.records} records)` : `NO (${JSON.stringify(verified)})`}`,
    );
  } finally {
    await stack.close();
  }
}

if (process.argv[2] === "--resume") await secondProcess(process.argv[3] ?? "", process.argv[4] ?? "");
else await firstProcess();
