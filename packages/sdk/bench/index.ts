// Benchmarks of @espada/infra-sdk: cold import cost (over a bare node, and over the zod it loads:
// core's bundled `@espada/infra-core/zod`) and the per-call overhead of builders and executeCommand. Writes .bench/results.json and prints it.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createNoopLogger } from "@espada/infra-core";
import { createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";

interface BenchResult {
  name: string;
  value: number;
  unit: string;
  better: "lower" | "higher";
  target?: number;
}

const sdkDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = 21;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * One fresh `node` process that imports `specifier` (resolved from `cwd`) and reports how long the
 * import took: wall ms and CPU ms (user + system) of the import alone — the cold import minus a
 * bare node's start-up, measured inside the process so start-up noise stays out.
 */
function importCost(specifier: string, cwd: string): { wall: number; cpu: number } {
  const code = `const c=process.cpuUsage();const t=performance.now();await import(${JSON.stringify(specifier)});const w=performance.now()-t;const u=process.cpuUsage(c);process.stdout.write(JSON.stringify({wall:w,cpu:(u.user+u.system)/1000}))`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.status !== 0)
    throw new Error(`importing ${specifier} in ${cwd} failed: ${child.stderr.toString()}`);
  return JSON.parse(child.stdout.toString()) as { wall: number; cpu: number };
}

/** The zod the sdk runs on: core's bundled copy, which the build points every package's `zod` at. */
const SHARED_ZOD = "@espada/infra-core/zod";

function coldImport(): BenchResult[] {
  const zod: { wall: number; cpu: number }[] = [];
  const sdk: { wall: number; cpu: number }[] = [];
  // Interleaved fresh processes so machine noise hits both series alike; both resolve from the sdk.
  for (let i = 0; i < RUNS; i += 1) {
    zod.push(importCost(SHARED_ZOD, sdkDir));
    sdk.push(importCost("@espada/infra-sdk", sdkDir));
  }
  const cpu = { zod: median(zod.map((r) => r.cpu)), sdk: median(sdk.map((r) => r.cpu)) };
  const wall = { zod: median(zod.map((r) => r.wall)), sdk: median(sdk.map((r) => r.wall)) };
  // (cold import of the sdk) ÷ (cold import of the zod it loads, core's bundled copy) − 1, each
  // without node's start-up: what our own modules cost over that zod. CPU time decides (a busy
  // machine stretches wall time, not work); wall printed beside.
  const ratio = round(cpu.sdk / cpu.zod - 1);
  console.log(
    `sdk.import_over_zod.ratio = sdk ${round(cpu.sdk)} CPU ms ÷ ${SHARED_ZOD} ${round(cpu.zod)} CPU ms − 1 = ${ratio}` +
      ` (wall ${round(wall.sdk)} ÷ ${round(wall.zod)} ms; cold imports in fresh processes, interleaved, median of ${RUNS})`,
  );
  return [
    { name: "sdk.import_over_zod.ratio", value: ratio, unit: "ratio", better: "lower", target: 0.15 },
    {
      name: "sdk.import_over_zod.wall_ratio",
      value: round(wall.sdk / wall.zod - 1),
      unit: "ratio",
      better: "lower",
    },
    { name: "sdk.import.cold_cpu_ms", value: round(cpu.sdk), unit: "ms", better: "lower" },
    { name: "sdk.import.shared_zod_cold_cpu_ms", value: round(cpu.zod), unit: "ms", better: "lower" },
    { name: "sdk.import.cold_ms", value: round(wall.sdk), unit: "ms", better: "lower" },
    { name: "sdk.import.shared_zod_cold_ms", value: round(wall.zod), unit: "ms", better: "lower" },
    { name: "sdk.import.over_zod_ms", value: round(wall.sdk - wall.zod), unit: "ms", better: "lower" },
  ];
}

/** Median microseconds per call of `fn` over several batches. */
async function perCall(fn: () => unknown, iterations: number): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 200); i += 1) await fn();
  const batches: number[] = [];
  for (let b = 0; b < 7; b += 1) {
    const start = performance.now();
    for (let i = 0; i < iterations; i += 1) await fn();
    batches.push(((performance.now() - start) * 1000) / iterations);
  }
  return median(batches);
}

async function hotPaths(): Promise<BenchResult[]> {
  const meta = defineProvider()
    .id("bench")
    .name("Bench")
    .version("1.0.0")
    .category("cloud")
    .capabilities("provision")
    .authMethods("api-key")
    .build();
  const buildCommand = () =>
    defineCommand()
      .id("create-instance")
      .name("Create Instance")
      .category("provision")
      .stringParam("name", "Instance name", { required: true, pattern: "^[a-z0-9-]+$" })
      .stringParam("region", "Target region", { required: true })
      .numberParam("cpu", "CPU count", { default: 2, min: 1, max: 64 })
      .numberParam("memory", "Memory in GB", { default: 4 })
      .booleanParam("dryRun", "Simulate")
      .supportsDryRun()
      .example("small", { name: "web-1", region: "us-east-1" })
      .build();
  const build = await perCall(buildCommand, 2_000);
  const provider = createSimpleProvider({
    meta,
    commands: [buildCommand()],
    logger: createNoopLogger(),
    onExecuteCommand: () => success({ instanceId: "i-1" }, ["i-1"]),
  });
  await provider.initialize({ method: "api-key", credentials: {}, options: {} });
  await provider.start();
  const execute = await perCall(
    () => provider.executeCommand("create-instance", { name: "web-1", region: "us-east-1", cpu: 4 }),
    20_000,
  );
  return [
    { name: "sdk.defineCommand.build_us", value: round(build), unit: "us", better: "lower" },
    { name: "sdk.executeCommand.overhead_us", value: round(execute), unit: "us", better: "lower" },
  ];
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

// `--cold` measures only the import cost (quick).
const results = [...coldImport(), ...(process.argv.includes("--cold") ? [] : await hotPaths())];
mkdirSync(join(sdkDir, ".bench"), { recursive: true });
writeFileSync(join(sdkDir, ".bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
