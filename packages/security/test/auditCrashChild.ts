// Child of the audit crash test: appends audit records to a file store with many in flight and
// prints each acknowledgement (`<operationId> <seq>`) once `append` resolved, until it is killed.
import { FileStateStore } from "@espada/infra-sessions";
import { InfrastructureAuditLogger } from "../src/index.js";

const [directory, runId] = process.argv.slice(2);
if (directory === undefined || runId === undefined) throw new Error("usage: auditCrashChild <dir> <run>");
const store = await FileStateStore.open({ directory, lockWaitMs: 25_000 });
const log = await InfrastructureAuditLogger.open({ store, key: Buffer.alloc(32, 9) });
process.stdout.write("ready\n");
let next = 0;
const worker = async (): Promise<void> => {
  for (;;) {
    const operationId = `${runId}-${next++}`;
    const { seq } = await log.append({
      type: "command_executed",
      actor: `u${next % 7}`,
      operationId,
      outcome: "success",
      details: { password: `secret-${next}`, n: next },
    });
    process.stdout.write(`${operationId} ${seq}\n`);
  }
};
await Promise.all(Array.from({ length: 64 }, worker));
