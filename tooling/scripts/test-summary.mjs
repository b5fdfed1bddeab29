#!/usr/bin/env node
// Sums the vitest JSON reports of every package and example and prints one closing line: "N passed, N failed".
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
const dirs = ["packages", "examples"].flatMap((root) => (existsSync(root) ? readdirSync(root).map((dir) => join(root, dir)) : []));
for (const dir of dirs) {
  const file = join(dir, ".vitest", "report.json");
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`${dir}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
if (failed > 0 || passed === 0) process.exit(1);
