// Crash test: SIGKILL children that write sessions through the BUILT package, then check on every
// restart that each acknowledged write is there and intact. Coverage comes from the design, never
// from how fast the machine is: every kill happens after the child acknowledged a write (the parent
// waits for it), at a random point inside a window of further writes, either by the parent after a
// random number of further acknowledgements or by the child itself just before a random file-system
// step (between any two steps of a durable write). On one shared directory, a third of the kills
// land inside open (lock, load, keyring) at a random step. Nothing asserted depends on timing.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { Plugin } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedSession } from "../test/crashChild.js";
import type { CrashChildPlan } from "../test/crashChild.js";
import { tempDir } from "../test/helpers.js";
import type * as Sessions from "./index.js";

const LANES = 4;
const KILLS_PER_LANE = 50;
const SHARED_KILLS = 100;
/** Kills after the first acknowledgement land within this many further acknowledgements / file-system steps. */
const ACK_WINDOW = 16;
const STEP_WINDOW = 60;
/** Every open takes at least this many file-system steps (4 mkdir, candidate mkdir, owner write, rename). */
const OPEN_STEPS = 7;
const POOL = 24;
/**
 * The only clocks in this test, and neither is a verdict on speed: they turn a hang into a failure
 * with a message. A child that stopped writing is killed after {@link HANG_MS}; the whole test, a
 * fixed amount of work (300 children, each killed after a fixed number of acknowledged writes or at
 * a file-system step) that took about 140 s on a loaded 2-core machine and 790 s with a load
 * average of ~18 plus two busy loops, may take up to {@link TEST_TIMEOUT_MS} before it is called hung.
 */
const HANG_MS = 300_000;
const TEST_TIMEOUT_MS = 1_800_000;

const packageDir = join(import.meta.dirname, "..");
const distDir = join(packageDir, "dist");

/**
 * The built entry (`dist/index.js`): the crash test runs the package as it ships, so it refuses a
 * missing or stale build instead of testing something else.
 */
function builtEntry(): string {
  const entry = join(distDir, "index.js");
  if (!existsSync(entry)) {
    throw new Error(
      `The crash test runs the built package, but ${entry} is missing: run \`pnpm build\` (in packages/sessions or at the root) first.`,
    );
  }
  const newestIn = (directory: string, suffix: string): number =>
    Math.max(
      ...readdirSync(directory)
        .filter((f) => f.endsWith(suffix) && !f.endsWith(".test.ts"))
        .map((f) => statSync(join(directory, f)).mtimeMs),
    );
  // tsc -b touches .tsbuildinfo when it finds sources newer but unchanged; a cache restore may omit it
  const buildInfo = join(distDir, ".tsbuildinfo");
  const built = existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : newestIn(distDir, ".js");
  if (newestIn(join(packageDir, "src"), ".ts") > built) {
    throw new Error(
      `The crash test runs the built package, but ${distDir} is older than src/: run \`pnpm build\` (in packages/sessions or at the root) first.`,
    );
  }
  return entry;
}

/**
 * The built package stays an import of the file where it is: its entry is a facade that runs the
 * package's compiled script (and its code cache) from beside itself, so it cannot be bundled.
 */
const builtPackageInPlace: Plugin = {
  name: "built-package-in-place",
  setup(b) {
    b.onResolve({ filter: /^file:/ }, (args) => ({ path: args.path, external: true }));
  },
};

/** Bundles the child harness into one script that imports the built entry: a child starts in about the time of a bare `node`. */
async function bundleChild(entry: string, directory: string): Promise<string> {
  const outfile = join(directory, "crashChild.mjs");
  const harness = join(packageDir, "test", "crashChild.ts");
  await build({
    stdin: {
      contents: [
        `import * as sessions from ${JSON.stringify(pathToFileURL(entry).href)};`,
        `import { runCrashChild } from ${JSON.stringify(harness)};`,
        `await runCrashChild(sessions, JSON.parse(process.argv[2]));`,
      ].join("\n"),
      resolveDir: packageDir,
      loader: "js",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    // CommonJS dependencies in the bundle use require, __filename and __dirname
    banner: {
      js: [
        'import { createRequire as __createRequire } from "node:module";',
        'import { fileURLToPath as __fileURLToPath } from "node:url";',
        "const require = __createRequire(import.meta.url);",
        "const __filename = __fileURLToPath(import.meta.url);",
        'const __dirname = __filename.slice(0, __filename.lastIndexOf("/"));',
      ].join(" "),
    },
    plugins: [builtPackageInPlace],
    logLevel: "silent",
  });
  return outfile;
}

/** The child's environment: no NODE_EXTRA_CA_CERTS (loading a CA bundle at start-up would double a child's start-up cost; it makes no TLS connection). */
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => name !== "NODE_EXTRA_CA_CERTS"),
);

type Kill = "after-acks" | "self-after-ack" | "self-in-open";
interface RoundOutcome {
  readonly kill: Kill;
  readonly opened: boolean;
  readonly acks: number;
}

const randomInt = (below: number): number => Math.floor(Math.random() * below);

/** Runs one child to its SIGKILL and records every write it acknowledged into `acked`. */
function runChild(
  child: string,
  plan: CrashChildPlan,
  kill: Kill,
  acked: Map<string, number>,
): Promise<RoundOutcome> {
  const proc = spawn(process.execPath, [child, JSON.stringify(plan)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv,
  });
  const killAfter = kill === "after-acks" ? 1 + randomInt(ACK_WINDOW) : Number.POSITIVE_INFINITY;
  let buffered = "";
  let stderr = "";
  let opened = false;
  let acks = 0;
  proc.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  proc.stdout.on("data", (b: Buffer) => {
    buffered += b.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const [tag, id, version] = line.split(" ");
      if (tag === "opened") {
        opened = true;
        if (kill === "self-in-open") proc.kill("SIGKILL"); // it should have died inside open: reported below
      } else if (tag === "ack" && id !== undefined) {
        acks++;
        acked.set(id, Math.max(acked.get(id) ?? 0, Number(version)));
        if (acks >= killAfter) proc.kill("SIGKILL");
      }
    }
  });
  // guards a hang only (a child that stopped writing); never reached by a working child
  let hung = false;
  const hang = setTimeout(() => {
    hung = true;
    proc.kill("SIGKILL");
  }, HANG_MS);
  return new Promise<RoundOutcome>((resolve, reject) => {
    proc.once("close", (code, signal) => {
      clearTimeout(hang);
      if (signal === "SIGKILL" && stderr === "" && !hung) resolve({ kill, opened, acks });
      else
        reject(
          new Error(
            `crash child ended with code ${code}, signal ${signal}${hung ? " (hung)" : ""}: ${stderr}`,
          ),
        );
    });
  });
}

/** Restart check: opens the directory at once (a restart after SIGKILL does not wait) and checks every acknowledged session. */
async function checkRestart(
  shipped: typeof Sessions,
  directory: string,
  acked: Map<string, number>,
  label: string,
): Promise<void> {
  const storage = await shipped.FileSessionStorage.open({ directory, lockWaitMs: 0 });
  try {
    const stored = new Map((await storage.list()).map((v) => [v.session.id, v]));
    expect(storage.problems, label).toEqual([]);
    for (const [id, version] of acked) {
      const found = stored.get(id);
      expect(found, `acknowledged session ${id} v${version} missing after ${label}`).toBeDefined();
      expect(found?.version, `${id} after ${label}`).toBeGreaterThanOrEqual(version);
    }
    for (const [id, v] of stored) {
      expect(v.session, `${id} v${v.version} after ${label}`).toEqual(expectedSession(id, v.version));
      acked.set(id, Math.max(acked.get(id) ?? 0, v.version)); // seen after a restart: must stay
    }
  } finally {
    await storage.close();
  }
}

describe("crash test: SIGKILL at random points (built package)", () => {
  let work: { path: string; cleanup: () => void } | undefined;
  let child = "";
  let shipped: typeof Sessions | undefined;
  beforeAll(async () => {
    const entry = builtEntry();
    work = tempDir("espada-crash-");
    child = await bundleChild(entry, work.path);
    shipped = (await import(pathToFileURL(entry).href)) as typeof Sessions;
  });
  afterAll(() => work?.cleanup());

  /** One directory, `kills` children one after another; `plan` picks how each is killed. */
  async function runLane(
    name: string,
    kills: number,
    pick: (round: number) => Kill,
  ): Promise<RoundOutcome[]> {
    const directory = join(work?.path ?? "", name);
    const ids = Array.from({ length: POOL }, (_, i) => `${name}-${i}`);
    const acked = new Map<string, number>();
    const outcomes: RoundOutcome[] = [];
    for (let round = 0; round < kills; round++) {
      const kill = pick(round);
      const plan: CrashChildPlan = {
        directory,
        ids,
        killAtStep: kill === "self-in-open" ? 1 + randomInt(OPEN_STEPS) : 0,
        killAtStepAfterAck: kill === "self-after-ack" ? 1 + randomInt(STEP_WINDOW) : 0,
      };
      outcomes.push(await runChild(child, plan, kill, acked));
      await checkRestart(shipped as typeof Sessions, directory, acked, `${name} kill ${round} (${kill})`);
    }
    return outcomes;
  }

  it(
    `keeps every acknowledged session across ${LANES * KILLS_PER_LANE} kills in ${LANES} directories and ${SHARED_KILLS} kills (a third inside open) in one shared directory`,
    async () => {
      const settled = await Promise.allSettled([
        ...Array.from({ length: LANES }, (_, lane) =>
          runLane(`lane${lane}`, KILLS_PER_LANE, () =>
            Math.random() < 0.5 ? "after-acks" : "self-after-ack",
          ),
        ),
        runLane("shared", SHARED_KILLS, (round) =>
          round % 3 === 0 ? "self-in-open" : round % 3 === 1 ? "after-acks" : "self-after-ack",
        ),
      ]);
      const failed = settled.find((r) => r.status === "rejected");
      if (failed !== undefined) throw failed.reason; // every lane has stopped: nothing runs on after the test
      const all = settled.flatMap((r) => (r.status === "fulfilled" ? r.value : []));
      expect(all).toHaveLength(LANES * KILLS_PER_LANE + SHARED_KILLS);
      // by design: writers are killed only after an acknowledged write; open-killers die before "opened"
      const writers = all.filter((o) => o.kill !== "self-in-open");
      expect(writers.filter((o) => !o.opened || o.acks === 0)).toEqual([]);
      const inOpen = all.filter((o) => o.kill === "self-in-open");
      expect(inOpen).toHaveLength(Math.ceil(SHARED_KILLS / 3));
      expect(inOpen.filter((o) => o.opened)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
