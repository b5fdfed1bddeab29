#!/usr/bin/env node
// Sums the vitest JSON reports of every package and example and prints one closing line: "N passed, N failed".
// turbo restores each package's .vitest/report.json from its cache (the test task declares it as an output),
// so a fully cached run counts the same tests as a fresh one. A package with a `test` script but no report
// (vitest crashed, or the report was never restored) counts as a failure, never as zero tests.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
const dirs = ["packages", "examples"].flatMap((root) =>
  existsSync(root) ? readdirSync(root).map((dir) => join(root, dir)) : [],
);
for (const dir of dirs) {
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest)) continue;
  const hasTests = typeof JSON.parse(readFileSync(manifest, "utf8")).scripts?.test === "string";
  const file = join(dir, ".vitest", "report.json");
  if (!existsSync(file)) {
    if (hasTests) missing.push(dir);
    continue;
  }
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    console.log(`${dir}: unreadable report (${error.message})`);
    missing.push(dir);
    continue;
  }
  const failedHere =
    (report.numFailedTests ?? 0) + (report.success === false && !report.numFailedTests ? 1 : 0);
  passed += report.numPassedTests ?? 0;
  failed += failedHere;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(`${dir}: ${report.numPassedTests ?? 0} passed, ${failedHere} failed`);
}
for (const dir of missing) console.log(`${dir}: no test report (its tests did not run to the end)`);
failed += missing.length;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
if (failed > 0 || passed === 0) process.exit(1);
