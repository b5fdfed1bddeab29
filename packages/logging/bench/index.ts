// Benchmarks of @espada/infra-logging. Run with `pnpm bench`; writes .bench/results.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInfrastructureLogger } from "../src/index.js";

interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: "ns" | "us";
  readonly better: "lower";
  readonly target?: number;
}

const dir = mkdtempSync(join(tmpdir(), "espada-logging-bench-"));

/** Best (lowest) per-call time of `rounds` runs of `calls` calls, in nanoseconds. */
function bestNsPerCall(rounds: number, calls: number, run: (calls: number) => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round += 1) {
    const start = process.hrtime.bigint();
    run(calls);
    const elapsed = Number(process.hrtime.bigint() - start);
    best = Math.min(best, elapsed / calls);
  }
  return best;
}

async function disabledLevel(): Promise<number> {
  const logger = createInfrastructureLogger(
    { level: "info", destinations: [{ type: "file", config: { path: "disabled.log" } }] },
    { baseDir: dir },
  );
  const run = (calls: number): void => {
    for (let i = 0; i < calls; i += 1) logger.debug("msg", { a: 1 });
  };
  run(1_000_000); // warm-up
  const ns = bestNsPerCall(5, 5_000_000, run);
  await logger.close();
  return ns;
}

async function enabledJson(): Promise<number> {
  const logger = createInfrastructureLogger(
    {
      level: "info",
      destinations: [{ type: "file", config: { path: "enabled.log", maxSize: 64 * 1024 * 1024 } }],
    },
    { baseDir: dir },
  );
  const scoped = logger.child("registry").withContext({ providerId: "aws", sessionId: "s-1" });
  const calls = 20_000;
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 4; round += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i += 1)
      scoped.info("command finished", { duration: i, attempt: 1, region: "eu-west-1" });
    await logger.flush();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / calls / 1000);
  }
  await logger.close();
  return best;
}

try {
  const results: BenchResult[] = [
    {
      name: "logging.disabled_level.ns",
      value: Number((await disabledLevel()).toFixed(2)),
      unit: "ns",
      better: "lower",
      target: 50,
    },
    {
      name: "logging.enabled_json.us",
      value: Number((await enabledJson()).toFixed(2)),
      unit: "us",
      better: "lower",
    },
  ];
  mkdirSync(".bench", { recursive: true });
  writeFileSync(".bench/results.json", `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
