import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedSession } from "../test/crashChild.js";
import { tempDir } from "../test/helpers.js";
import type * as Sessions from "./index.js";

const KILLS = 200;
const LANES = 4;
const packageDir = join(import.meta.dirname, "..");
const distDir = join(packageDir, "dist");

/**
 * The URL of the built entry (`dist/index.js`): the crash test runs the package as it ships, so it
 * refuses a missing or stale build instead of testing something else.
 */
function builtEntry(): string {
  const entry = join(distDir, "index.js");
  if (!existsSync(entry)) {
    throw new Error(`The crash test runs the built package, but ${entry} is missing: run \`pnpm build\` (in packages/sessions or at the root) first.`);
  }
  const newestIn = (directory: string, suffix: string): number =>
    Math.max(...readdirSync(directory).filter((f) => f.endsWith(suffix) && !f.endsWith(".test.ts")).map((f) => statSync(join(directory, f)).mtimeMs));
  // tsc -b touches .tsbuildinfo when it finds sources newer but unchanged; a cache restore may omit it
  const buildInfo = join(distDir, ".tsbuildinfo");
  const built = existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : newestIn(distDir, ".js");
  if (newestIn(join(packageDir, "src"), ".ts") > built) {
    throw new Error(`The crash test runs the built package, but ${distDir} is older than src/: run \`pnpm build\` (in packages/sessions or at the root) first.`);
  }
  return pathToFileURL(entry).href;
}

/** Transpiles the child (test harness only; it imports the built entry) so each child starts in ~100 ms without tsx. */
function transpileChild(directory: string): string {
  const out = ts.transpileModule(readFileSync(join(packageDir, "test", "crashChild.ts"), "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  const target = join(directory, "crashChild.mjs");
  writeFileSync(target, out.outputText);
  return target;
}

interface LaneResult {
  kills: number;
  acked: number;
  checkedRestarts: number;
  roundsWithAcks: number;
}

async function runLane(shipped: typeof Sessions, entry: string, child: string, lane: number, kills: number): Promise<LaneResult> {
  const dir = tempDir(`espada-crash-${lane}-`);
  const acked = new Map<string, number>();
  let next = 0;
  let checkedRestarts = 0;
  let roundsWithAcks = 0;
  try {
    for (let round = 0; round < kills; round++) {
      const proc = spawn(process.execPath, [child, entry, dir.path, String(lane), String(next)], { stdio: ["ignore", "pipe", "pipe"] });
      let buffered = "";
      let ackedThisRound = false;
      let stderr = "";
      proc.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      proc.stdout.on("data", (b: Buffer) => {
        buffered += b.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          const [tag, id, version] = line.split(" ");
          if (tag !== "ack" || id === undefined) continue;
          ackedThisRound = true;
          acked.set(id, Math.max(acked.get(id) ?? 0, Number(version)));
          const n = Number(id.split("-")[1]);
          if (n >= next) next = n + 1;
        }
      });
      const exited = new Promise<number | null>((res) => proc.once("exit", (code) => res(code)));
      // a random moment: one round in six during start-up (lock, load), the others while writing
      const kill = (): void => void proc.kill("SIGKILL");
      let timer = setTimeout(kill, Math.random() < 1 / 6 ? Math.random() * 250 : 60_000);
      proc.stdout.once("data", () => {
        clearTimeout(timer);
        timer = setTimeout(kill, 5 + Math.random() * 150);
      });
      const code = await exited;
      clearTimeout(timer);
      if (code !== null) throw new Error(`child exited by itself (${code}): ${stderr}`);
      // restart: every acknowledged session present and intact, nothing partial read
      const storage = await shipped.FileSessionStorage.open({ directory: dir.path, lockStaleMs: 2000, lockRetries: 20 });
      try {
        const stored = new Map((await storage.list()).map((v) => [v.session.id, v]));
        expect(storage.problems).toEqual([]);
        for (const [id, version] of acked) {
          const found = stored.get(id);
          expect(found, `acknowledged session ${id} missing after kill ${round}`).toBeDefined();
          expect(found!.version).toBeGreaterThanOrEqual(version);
          expect(found!.session).toEqual(expectedSession(id, found!.version));
        }
        for (const [id, v] of stored) expect(v.session).toEqual(expectedSession(id, v.version));
        for (const [id, v] of stored) acked.set(id, Math.max(acked.get(id) ?? 0, v.version));
      } finally {
        await storage.close();
      }
      checkedRestarts++;
      if (ackedThisRound) roundsWithAcks++;
    }
    return { kills, acked: acked.size, checkedRestarts, roundsWithAcks };
  } finally {
    dir.cleanup();
  }
}

describe("crash test: SIGKILL at random moments (built package)", () => {
  let work: { path: string; cleanup: () => void } | undefined;
  let entry = "";
  let child = "";
  let shipped: typeof Sessions | undefined;
  beforeAll(async () => {
    entry = builtEntry();
    work = tempDir("espada-crash-child-");
    child = transpileChild(work.path);
    shipped = (await import(entry)) as typeof Sessions;
  });
  afterAll(() => work?.cleanup());

  it(`keeps every acknowledged session intact across ${KILLS} kills`, async () => {
    const dist = shipped!;
    const results = await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(dist, entry, child, lane, KILLS / LANES)));
    expect(results.reduce((n, r) => n + r.kills, 0)).toBe(KILLS);
    expect(results.reduce((n, r) => n + r.checkedRestarts, 0)).toBe(KILLS);
    expect(results.reduce((n, r) => n + r.acked, 0)).toBeGreaterThan(KILLS);
    // most kills land while the child is writing, not before it started
    expect(results.reduce((n, r) => n + r.roundsWithAcks, 0)).toBeGreaterThan(KILLS / 2);
  }, 180_000);
});
