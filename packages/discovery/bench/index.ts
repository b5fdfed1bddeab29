// Benchmarks of @espada/infra-discovery; writes .bench/results.json. Run with `pnpm bench`.
//
// 1,000 plugins spread over the four sources (250 bundled directories, 250 installed packages in a
// node_modules, 250 local directories, and a 250-entry remote index served by a local HTTP server on
// 127.0.0.1). The baseline is a plain walk that lists the same folders, reads and JSON.parses the
// same manifest files and GETs and JSON.parses the same index, interleaved with ours in one run.
//
// What "cold" means here: a NEW discoverer (nothing cached: every manifest read, parsed, checked
// and every entry path verified, the index fetched) in a process that has run discovery before —
// the case of a host that re-discovers (after `invalidate()`, a TTL expiry or a restart of the
// discoverer). It is not the first discovery of the process, which also pays V8's compilation of
// this package (and of zod's schemas) once; that figure is printed beside as `firstColdMs`. Both
// sides get the same WARMUP runs before the measured rounds, then the median of the interleaved
// rounds is taken. The package is measured as it ships (its built `dist`, which `pnpm bench`
// builds first; a `dist` older than `src` is refused), not as tsx rewrites the sources.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as Discovery from "../src/index.js";
import { builtEntry } from "../../../tooling/bench/builtEntry.js";

const { InfrastructurePluginDiscoverer, PACKAGE_JSON_KEY, computeIntegrity } = (await import(
  builtEntry(join(import.meta.dirname, ".."))
)) as typeof Discovery;

interface Result {
  name: string;
  value: number;
  unit: string;
  better: "lower" | "higher";
  target?: number;
}

const PER_SOURCE = 250;
const ROUNDS = 21;
const WARMUP = 5;
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const round2 = (x: number): number => Math.round(x * 100) / 100;

function meta(id: string): Record<string, unknown> {
  return {
    id,
    name: id,
    displayName: id.toUpperCase(),
    description: `The ${id} provider`,
    version: "1.2.3",
    category: "cloud",
    capabilities: ["provision", "deprovision", "scale", "monitor"],
    supportedResources: ["compute", "storage", "network"],
    authMethods: ["api-key", "oauth2"],
    tags: ["bench"],
  };
}
const body = (id: string): Record<string, unknown> => ({
  frameworkVersion: ">=0.1.0",
  providers: [{ meta: meta(id), entry: "./dist/index.js" }],
});
const MODULE =
  "export const meta = {}; export function createProvider() { throw new Error('not in a benchmark'); }\n";

function writeWorld(root: string, indexBody: string): void {
  for (let i = 0; i < PER_SOURCE; i++) {
    for (const [folder, id] of [
      ["bundled", `bundled-${i}`],
      ["local", `local-${i}`],
    ] as const) {
      const dir = join(root, folder, `plugin-${i}`);
      mkdirSync(join(dir, "dist"), { recursive: true });
      writeFileSync(
        join(dir, "infrastructure.plugin.json"),
        JSON.stringify({ name: id, version: "1.0.0", ...body(id) }),
      );
      writeFileSync(join(dir, "dist", "index.js"), MODULE);
    }
    const pkg = join(root, "node_modules", `infra-plugin-${i}`);
    mkdirSync(join(pkg, "dist"), { recursive: true });
    writeFileSync(
      join(pkg, "package.json"),
      JSON.stringify({
        name: `infra-plugin-${i}`,
        version: "1.0.0",
        type: "module",
        [PACKAGE_JSON_KEY]: body(`installed-${i}`),
      }),
    );
    writeFileSync(join(pkg, "dist", "index.js"), MODULE);
  }
  writeFileSync(join(root, "index.json"), indexBody);
}

function remoteIndex(): string {
  const integrity = computeIntegrity(Buffer.from(MODULE));
  return JSON.stringify({
    plugins: Array.from({ length: PER_SOURCE }, (_, i) => ({
      name: `remote-${i}`,
      version: "1.0.0",
      frameworkVersion: ">=0.1.0",
      artifact: { url: `/artifacts/remote-${i}.mjs`, integrity },
      providers: [{ meta: meta(`remote-${i}`) }],
    })),
  });
}

/** The baseline: list each folder, read and JSON.parse each manifest, GET and JSON.parse the index. */
async function rawWalk(root: string, indexUrl: string): Promise<number> {
  let count = 0;
  const index = new Promise<number>((resolve, reject) => {
    get(indexUrl, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve(
          (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { plugins: unknown[] }).plugins.length,
        ),
      );
      res.on("error", reject);
    }).on("error", reject);
  });
  for (const [folder, file] of [
    ["bundled", "infrastructure.plugin.json"],
    ["node_modules", "package.json"],
    ["local", "infrastructure.plugin.json"],
  ] as const) {
    for (const name of readdirSync(join(root, folder))) {
      const parsed = JSON.parse(readFileSync(join(root, folder, name, file), "utf8")) as Record<
        string,
        unknown
      >;
      if (parsed.name !== undefined) count += 1;
    }
  }
  return count + (await index);
}

const work = mkdtempSync(join(tmpdir(), "espada-discovery-bench-"));
const indexBody = remoteIndex();
const server = createServer((req, res) => {
  if (req.url === "/index.json") res.writeHead(200, { "content-type": "application/json" }).end(indexBody);
  else res.writeHead(404).end();
});
try {
  writeWorld(work, indexBody);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const indexUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.json`;
  const config = {
    bundledDirs: ["bundled"],
    installedDirs: ["node_modules"],
    localDirs: ["local"],
    remoteRegistries: [{ url: indexUrl }],
  };
  const cpu: { cold: number[]; raw: number[] } = { cold: [], raw: [] };
  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  const cold = async (): Promise<number> => {
    const discoverer = new InfrastructurePluginDiscoverer({ cwd: work, config });
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const result = await discoverer.discover();
    const ms = performance.now() - start;
    cpu.cold.push(cpuMs(cpuStart));
    if (result.providers.length !== 4 * PER_SOURCE || result.problems.length !== 0) {
      throw new Error(
        `found ${result.providers.length} providers and ${result.problems.length} problems: ${JSON.stringify(result.problems.slice(0, 3))}`,
      );
    }
    return ms;
  };
  const raw = async (): Promise<number> => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const count = await rawWalk(work, indexUrl);
    const ms = performance.now() - start;
    cpu.raw.push(cpuMs(cpuStart));
    if (count !== 4 * PER_SOURCE) throw new Error(`raw walk counted ${count}`);
    return ms;
  };
  const firstStart = performance.now();
  await cold();
  const firstColdMs = performance.now() - firstStart;
  for (let i = 1; i < WARMUP; i++) {
    await cold();
    await raw();
  }
  cpu.cold.length = 0;
  cpu.raw.length = 0;
  const coldTimes: number[] = [];
  const rawTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, alternating which goes first, so both see the same machine load.
    if (i % 2 === 0) {
      coldTimes.push(await cold());
      rawTimes.push(await raw());
    } else {
      rawTimes.push(await raw());
      coldTimes.push(await cold());
    }
  }
  const coldMs = median(coldTimes);
  const rawMs = median(rawTimes);

  const cachedDiscoverer = new InfrastructurePluginDiscoverer({ cwd: work, config });
  await cachedDiscoverer.discover();
  const cachedRounds: number[] = [];
  for (let r = 0; r < 9; r++) {
    const n = 1000;
    const start = performance.now();
    for (let i = 0; i < n; i++) await cachedDiscoverer.discover();
    cachedRounds.push((performance.now() - start) / n);
  }
  cachedDiscoverer.close();

  const results: Result[] = [
    { name: "discovery.cold_1000_ms", value: round2(coldMs), unit: "ms", better: "lower" },
    {
      name: "discovery.cold_vs_raw.ratio",
      value: round2(coldMs / rawMs),
      unit: "ratio",
      better: "lower",
      target: 2,
    },
    {
      name: "discovery.cached_ms",
      value: Math.round(median(cachedRounds) * 10_000) / 10_000,
      unit: "ms",
      better: "lower",
      target: 1,
    },
  ];
  const out = join(import.meta.dirname, "..", ".bench");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    JSON.stringify(
      {
        results,
        absolute: {
          coldMs: round2(coldMs),
          rawWalkMs: round2(rawMs),
          rounds: ROUNDS,
          warmup: WARMUP,
          firstColdMs: round2(firstColdMs),
          cpuColdMs: round2(median(cpu.cold)),
          cpuRawMs: round2(median(cpu.raw)),
        },
      },
      null,
      2,
    ),
  );
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}
