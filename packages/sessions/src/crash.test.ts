import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSessionStorage } from "./sessionStorage.js";
import { expectedSession } from "../test/crashChild.js";
import { tempDir } from "../test/helpers.js";

const KILLS = 200;
const LANES = 4;
const packageDir = join(import.meta.dirname, "..");
const buildDir = join(packageDir, "node_modules", ".cache", "espada-crash-test");

/** Transpiles src and the child to plain JS so each child starts in ~100 ms instead of loading tsx. */
function transpile(): string {
  rmSync(buildDir, { recursive: true, force: true });
  const files = [
    ...readdirSync(join(packageDir, "src"))
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => join("src", f)),
    join("test", "crashChild.ts"),
  ];
  for (const file of files) {
    const out = ts.transpileModule(readFileSync(join(packageDir, file), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(buildDir, file.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, out.outputText);
  }
  writeFileSync(join(buildDir, "package.json"), '{"type":"module"}');
  return join(buildDir, "test", "crashChild.js");
}

interface LaneResult {
  kills: number;
  acked: number;
  checkedRestarts: number;
  roundsWithAcks: number;
}

async function runLane(child: string, lane: number, kills: number): Promise<LaneResult> {
  const dir = tempDir(`espada-crash-${lane}-`);
  const acked = new Map<string, number>();
  let next = 0;
  let checkedRestarts = 0;
  let roundsWithAcks = 0;
  try {
    for (let round = 0; round < kills; round++) {
      const proc = spawn(process.execPath, [child, dir.path, String(lane), String(next)], { stdio: ["ignore", "pipe", "pipe"] });
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
      const storage = await FileSessionStorage.open({ directory: dir.path, lockStaleMs: 2000, lockRetries: 20 });
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

describe("crash test: SIGKILL at random moments", () => {
  let child = "";
  beforeAll(() => {
    child = transpile();
  });
  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  it(`keeps every acknowledged session intact across ${KILLS} kills`, async () => {
    const results = await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(child, lane, KILLS / LANES)));
    expect(results.reduce((n, r) => n + r.kills, 0)).toBe(KILLS);
    expect(results.reduce((n, r) => n + r.checkedRestarts, 0)).toBe(KILLS);
    expect(results.reduce((n, r) => n + r.acked, 0)).toBeGreaterThan(KILLS);
    // most kills land while the child is writing, not before it started
    expect(results.reduce((n, r) => n + r.roundsWithAcks, 0)).toBeGreaterThan(KILLS / 2);
  }, 180_000);
});
