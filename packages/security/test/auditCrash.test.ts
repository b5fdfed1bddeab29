// Crash test of the group-committed audit log on the file store: a child appends with 64 records in
// flight and prints each acknowledgement; the parent SIGKILLs it after a random number of them (more
// batches are then being written), reopens the directory and checks that every acknowledged record
// is there with its sequence number and that the chain verifies. Nothing asserted depends on timing.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { FileStateStore } from "@espada/infra-sessions";
import { InfrastructureAuditLogger } from "../src/index.js";

const directory = mkdtempSync(join(tmpdir(), "espada-audit-crash-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Runs the child until `acks` records were acknowledged, kills it, and returns every acknowledgement. */
function runAndKill(run: number, acks: number): Promise<Map<string, number>> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "auditCrashChild.ts"), directory, `r${run}`],
    { stdio: ["ignore", "pipe", "inherit"], cwd: join(import.meta.dirname, "..") },
  );
  const seen = new Map<string, number>();
  return new Promise((resolve, reject) => {
    let killed = false;
    createInterface({ input: child.stdout }).on("line", (line) => {
      const [id, seq] = line.split(" ");
      if (id === undefined || seq === undefined) return;
      if (killed) return; // printed after the kill was sent: not counted as acknowledged
      seen.set(id, Number(seq));
      if (seen.size >= acks) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(seen);
      else reject(new Error(`child exited with ${code ?? signal} before the kill`));
    });
  });
}

describe("audit log on the file store, killed mid-batch", () => {
  it("keeps every acknowledged record, in chain order, across repeated kills", async () => {
    const acknowledged = new Map<string, number>();
    for (let run = 0; run < 3; run++) {
      const acks = 200 + Math.floor(Math.random() * 800);
      for (const [id, seq] of await runAndKill(run, acks)) acknowledged.set(id, seq);
      const store = await FileStateStore.open({ directory, lockWaitMs: 25_000 });
      try {
        const log = await InfrastructureAuditLogger.open({ store, key: Buffer.alloc(32, 9) });
        const verified = await log.verify();
        expect(verified).toMatchObject({ ok: true });
        const records = await log.query();
        const bySeq = new Map(records.map((r) => [r.operationId, r.seq]));
        for (const [id, seq] of acknowledged) expect(bySeq.get(id), id).toBe(seq);
        expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
        expect(JSON.stringify(records)).not.toContain("secret-");
        await log.close();
      } finally {
        await store.close();
      }
    }
  });
});
