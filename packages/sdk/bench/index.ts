// Benchmarks of @espada/infra-sdk: cold import cost (over a bare node and over zod alone) and the
// per-call overhead of builders and executeCommand. Writes .bench/results.json and prints it.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";

interface BenchResult {
  name: string;
  value: number;
  unit: string;
  better: "lower" | "higher";
  target?: number;
}

const sdkDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const coreDir = join(sdkDir, "..", "core");
const RUNS = 21;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall time of one fresh `node` process running `code` in `cwd`. */
function timeProcess(code: string, cwd: string, esm: boolean): number {
  const args = esm ? ["--input-type=module", "-e", code] : ["-e", code];
  const start = performance.now();
  const child = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  const elapsed = performance.now() - start;
  if (child.status !== 0) throw new Error(`node ${args.join(" ")} failed in ${cwd}: ${child.stderr.toString()}`);
  return elapsed;
}

function coldImport(): BenchResult[] {
  const bare: number[] = [];
  const zod: number[] = [];
  const sdk: number[] = [];
  // Interleaved so machine noise hits the three series alike. zod resolves from core (its owner).
  for (let i = 0; i < RUNS; i += 1) {
    bare.push(timeProcess("0", sdkDir, false));
    zod.push(timeProcess('await import("zod")', coreDir, true));
    sdk.push(timeProcess('await import("@espada/infra-sdk")', sdkDir, true));
  }
  const sdkMedian = median(sdk);
  return [
    { name: "sdk.import.cold_ms", value: round(sdkMedian - median(bare)), unit: "ms", better: "lower" },
    { name: "sdk.import.over_zod_ms", value: round(sdkMedian - median(zod)), unit: "ms", better: "lower", target: 20 },
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
  const meta = defineProvider().id("bench").name("Bench").version("1.0.0").category("cloud").capabilities("provision").authMethods("api-key").build();
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
    onInitialize: () => undefined,
    onStart: () => undefined,
    onHealthCheck: () => [{ name: "api", status: "healthy" }],
    onExecuteCommand: () => success({ instanceId: "i-1" }, ["i-1"]),
  });
  await provider.initialize({ method: "api-key", credentials: {}, options: {} });
  await provider.start();
  const execute = await perCall(() => provider.executeCommand("create-instance", { name: "web-1", region: "us-east-1", cpu: 4 }), 20_000);
  return [
    { name: "sdk.defineCommand.build_us", value: round(build), unit: "us", better: "lower" },
    { name: "sdk.executeCommand.overhead_us", value: round(execute), unit: "us", better: "lower" },
  ];
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

const results = [...coldImport(), ...(await hotPaths())];
mkdirSync(join(sdkDir, ".bench"), { recursive: true });
writeFileSync(join(sdkDir, ".bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
