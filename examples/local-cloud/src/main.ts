// `pnpm --filter @espada/examples-local-cloud start [stateDir]`: walks local-cloud through its commands on
// this machine — real directories, processes and SQLite files — and cleans up after itself.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandResult, ExecutionContext } from "@espada/infra-core";
import { LocalCloudProvider } from "./index.js";

const given = process.argv[2];
const stateDir = given ?? (await mkdtemp(join(tmpdir(), "local-cloud-")));
const cloud = new LocalCloudProvider({ stateDir });

const show = (label: string, result: CommandResult): void => {
  const body = result.success ? JSON.stringify(result.data) : `${result.error.code}: ${result.error.message}`;
  console.log(
    `${result.success ? "ok  " : "FAIL"} ${label}\n     ${body.length > 220 ? `${body.slice(0, 217)}...` : body}`,
  );
};
const run = async (
  label: string,
  id: string,
  params: Record<string, unknown>,
  ctx: Partial<ExecutionContext> = {},
): Promise<CommandResult> => {
  const result = await cloud.executeCommand(id, params, ctx);
  show(label, result);
  return result;
};

try {
  console.log(`local-cloud, state under ${stateDir}`);
  await cloud.initialize({ method: "custom", credentials: {}, options: {} });
  await cloud.start();
  await run(
    "create bucket 'assets' (dry run: nothing is created)",
    "create-bucket",
    { name: "assets" },
    { dryRun: true },
  );
  await run("create bucket 'assets'", "create-bucket", { name: "assets" });
  await run("put object index.html", "put-object", {
    bucket: "assets",
    key: "index.html",
    content: "<h1>hello</h1>",
  });
  await run(
    "create instance 'web' with 2 processes",
    "create-instance",
    { name: "web", replicas: 2 },
    { progress: (u) => console.log(`     … ${u.message}`) },
  );
  await run("scale 'web' to 3", "scale-instance", { instance: "web", replicas: 3 });
  const [victim] = cloud.replicas("web");
  if (victim !== undefined) {
    process.kill(victim.pid, "SIGKILL");
    console.log(`     (killed pid ${victim.pid} with SIGKILL)`);
  }
  const health = await cloud.healthCheck();
  console.log(
    `health: ${health.status}\n${health.checks.map((c) => `     ${c.name}: ${c.status}${c.message === undefined ? "" : ` (${c.message})`}`).join("\n")}`,
  );
  await run("scale 'web' to 3 again (replaces the dead process)", "scale-instance", {
    instance: "web",
    replicas: 3,
  });
  await run("create database 'orders'", "create-database", {
    name: "orders",
    schema: "create table orders (id integer primary key, item text)",
  });
  await run(
    "insert two orders (snapshot taken first)",
    "execute-sql",
    { database: "orders", sql: "insert into orders (item) values ('tea'), ('cake')" },
    { executionId: "demo-insert" },
  );
  await run("read them back", "query-database", { database: "orders", sql: "select * from orders" });
  await run("roll the insert back", "rollback-operation", { executionId: "demo-insert" });
  await run("read again", "query-database", { database: "orders", sql: "select count(*) as n from orders" });
  await run("delete 'web' without confirmation (refused: dangerous)", "delete-instance", { instance: "web" });
  await run("list resources", "list-resources", {});
} finally {
  if (cloud.state === "active") await cloud.stop();
  console.log(`stopped; live processes left: ${cloud.livePids().length}`);
  if (given === undefined) await rm(stateDir, { recursive: true, force: true });
}
