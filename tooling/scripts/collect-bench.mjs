#!/usr/bin/env node
// Merges every package's .bench/results.json into bench-results.json at the root and prints it.
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const roots = ["packages", "examples"];
const results = [];
const problems = [];
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const dir of readdirSync(root)) {
    const file = join(root, dir, ".bench", "results.json");
    if (!existsSync(file)) continue;
    try {
      const entries = JSON.parse(readFileSync(file, "utf8"));
      if (!Array.isArray(entries)) throw new Error("not an array");
      for (const [i, e] of entries.entries()) {
        const ok =
          typeof e?.name === "string" &&
          typeof e.value === "number" &&
          Number.isFinite(e.value) &&
          typeof e.unit === "string" &&
          (e.better === "lower" || e.better === "higher") &&
          (e.target === undefined || typeof e.target === "number");
        if (!ok)
          problems.push(
            `${file}[${i}]: needs name, finite value, unit, better lower|higher, optional numeric target`,
          );
        else results.push(e);
      }
    } catch (error) {
      problems.push(`${file}: ${error.message}`);
    }
  }
}
results.sort((a, b) => a.name.localeCompare(b.name));
writeFileSync("bench-results.json", JSON.stringify(results, null, 2) + "\n");
const missed = results.filter(
  (r) => r.target !== undefined && (r.better === "lower" ? r.value > r.target : r.value < r.target),
);
console.log(JSON.stringify({ results, missedTargets: missed.map((m) => m.name), problems }, null, 2));
if (problems.length > 0) process.exit(1);
