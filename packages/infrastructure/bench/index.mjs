// Benchmark of @espada/infrastructure: `espada-infra status` in a fresh process against `node -e 0`,
// interleaved in one run (median of each), so the ratio holds on a busy machine. Writes .bench/results.json.
// The workspace (tooling/bench/statusWorkspace.mjs) is the README's: espada.yaml with one configured
// provider found by discovery in a local plugin folder, so status really discovers, brings the provider
// up and checks its health.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createStatusWorkspace } from "../../../tooling/bench/statusWorkspace.mjs";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
// what `espada-infra` runs (package.json `bin`)
const bin = join(
  packageDir,
  JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")).bin["espada-infra"],
);
const rounds = Number(process.env.BENCH_ROUNDS ?? 21);

const { getFrameworkVersion } = await import("@espada/infra-discovery");
const dir = createStatusWorkspace(packageDir, getFrameworkVersion());

function timed(args) {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  return Number(process.hrtime.bigint() - start) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const check = execFileSync(process.execPath, [bin, "status", "--json"], { cwd: dir, encoding: "utf8" });
  const status = JSON.parse(check);
  if (status.data?.instances !== 1 || status.data?.overallHealth !== "healthy")
    throw new Error(`status did not bring the provider up: ${check}`);
  timed([bin, "status"]); // warm the file system cache once
  timed(["-e", "0"]);
  const cli = [];
  const node = [];
  for (let i = 0; i < rounds; i++) {
    cli.push(timed([bin, "status"]));
    node.push(timed(["-e", "0"]));
  }
  const cold = median(cli);
  const base = median(node);
  const ratio = cold / base;
  console.log(
    `espada-infra status (fresh process): median ${cold.toFixed(1)} ms; node -e 0: median ${base.toFixed(1)} ms; ratio ${ratio.toFixed(2)} (target ≤ 3), ${rounds} interleaved rounds`,
  );
  const results = [
    { name: "cli.status.cold_ms", value: Math.round(cold * 10) / 10, unit: "ms", better: "lower" },
    {
      name: "cli.status.cold_vs_node.ratio",
      value: Math.round(ratio * 100) / 100,
      unit: "x",
      better: "lower",
      target: 3,
    },
    { name: "cli.node_baseline_ms", value: Math.round(base * 10) / 10, unit: "ms", better: "lower" },
  ];
  mkdirSync(join(packageDir, ".bench"), { recursive: true });
  writeFileSync(join(packageDir, ".bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
