import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandHistoryEntry, JsonValue } from "@espada/infra-core";
import { FileStateStore } from "./fileStateStore.js";
import { EncryptionKeyring, ENCRYPTION_KEY_ENV } from "./keyring.js";
import { createInfrastructureSessionManager } from "./sessionManager.js";
import type { SessionManagerOptions } from "./sessionManager.js";
import { HISTORY_LOG_PREFIX, SESSION_KEY_PREFIX } from "./sessionStorage.js";
import { capturingLogger } from "../test/capturingLogger.js";
import { cleanupAfterEach, fakeClock } from "../test/helpers.js";

const { defer, dir: dirPath } = cleanupAfterEach();

const key = Buffer.alloc(32, 3).toString("base64");
const env = { [ENCRYPTION_KEY_ENV]: key };
const SESSION_ID = "7f0c7c3e-2b7d-4b8e-9a57-0c6f3f6f0a11";

function oldEntry(
  n: number,
  startedAt: number,
  params: Record<string, JsonValue> = { n },
): CommandHistoryEntry & Record<string, JsonValue> {
  return {
    executionId: `e${n}`,
    commandId: "vm.list",
    providerId: "aws",
    userId: "alice",
    params,
    status: "succeeded",
    dryRun: false,
    startedAt,
    duration: 3,
    affectedResources: [],
  };
}

/**
 * Writes a session record exactly as the earlier format did: `{ v: 1, session, sealed }` in the
 * file store, the command history inline in the session (`session.history`), credentials sealed.
 */
async function writeOldFormat(directory: string, history: readonly JsonValue[], now: number): Promise<void> {
  const keyring = await EncryptionKeyring.open({ directory, env });
  const store = await FileStateStore.open({ directory });
  const session = {
    id: SESSION_ID,
    userId: "alice",
    state: "active",
    environment: "production",
    providerId: "aws",
    auth: { method: "api-key", credentials: {} },
    resources: {},
    variables: { region: "eu-west-1" },
    pendingOperations: [],
    history: [...history],
    metadata: {},
    createdAt: now - 60_000,
    lastActivityAt: now - 1_000,
    expiresAt: now + 3_600_000,
  };
  const sealed = {
    credentials: keyring.seal({ apiKey: "AKIA-old" }, `${SESSION_ID}/credentials`),
    params: {},
  };
  await store.put(SESSION_KEY_PREFIX + SESSION_ID, { v: 1, session, sealed });
  await store.close();
}

function recordText(directory: string): string {
  const records = join(directory, "records");
  const name = readdirSync(records).find((n) => n.endsWith(".json"));
  if (name === undefined) throw new Error("no record file");
  return readFileSync(join(records, name), "utf8");
}

async function open(directory: string, options: SessionManagerOptions = {}) {
  const m = await createInfrastructureSessionManager({ stateDirectory: directory, env, ...options });
  defer(() => m.shutdown());
  return m;
}

describe("sessions stored with the history inline (earlier format)", () => {
  it("load, with their history moved into the append-only log and the record rewritten without it", async () => {
    const clock = fakeClock();
    const directory = dirPath();
    const t = clock.now();
    const history = [
      oldEntry(1, t - 50_000),
      oldEntry(2, t - 40_000, { name: "vm-1", options: { password: "hunter2", size: "large" } }),
      { executionId: "broken" }, // unreadable: skipped, the others load
      oldEntry(3, t - 30_000),
    ];
    await writeOldFormat(directory, history, t);
    expect(recordText(directory)).toContain('"history"');
    const { logger, lines } = capturingLogger();
    let m = await open(directory, { now: clock.now, logger });
    const session = await m.getSession(SESSION_ID);
    expect(session).toMatchObject({
      id: SESSION_ID,
      userId: "alice",
      variables: { region: "eu-west-1" },
      auth: { credentials: { apiKey: "AKIA-old" } },
    });
    expect(session).not.toHaveProperty("history");
    const moved = await m.getHistory(SESSION_ID);
    expect(moved.map((h) => h.executionId)).toEqual(["e1", "e2", "e3"]);
    expect(moved[1]?.params).toEqual({ name: "vm-1", options: { password: "[REDACTED]", size: "large" } }); // redacted again on the way
    expect(lines.join("\n")).toMatch(/unreadable history entry/);
    expect(lines.join("\n")).not.toContain("hunter2");
    await m.appendHistory(SESSION_ID, oldEntry(4, clock.now()));
    await m.shutdown();
    const text = recordText(directory);
    expect(text).not.toContain('"history"');
    expect(text).not.toContain("hunter2");
    // a second start moves nothing again
    m = await open(directory, { now: clock.now });
    expect((await m.getHistory(SESSION_ID)).map((h) => h.executionId)).toEqual(["e1", "e2", "e3", "e4"]);
  });

  it("a migration cut short by a crash (entries in the log, record not rewritten) appends none twice", async () => {
    const clock = fakeClock();
    const directory = dirPath();
    const t = clock.now();
    // the same execution may appear twice (pending, then succeeded): both are kept
    const history = [
      oldEntry(1, t - 9_000),
      { ...oldEntry(2, t - 8_000), status: "pending" },
      oldEntry(2, t - 8_000),
      oldEntry(3, t - 7_000),
      oldEntry(4, t - 6_000),
    ];
    await writeOldFormat(directory, history, t);
    const store = await FileStateStore.open({ directory });
    await store.append(HISTORY_LOG_PREFIX + SESSION_ID, history[0] as JsonValue);
    await store.append(HISTORY_LOG_PREFIX + SESSION_ID, history[1] as JsonValue); // the crash came here
    await store.close();
    const m = await open(directory, { now: clock.now });
    const moved = await m.getHistory(SESSION_ID);
    expect(moved.map((h) => `${h.executionId}:${h.status}`)).toEqual([
      "e1:succeeded",
      "e2:pending",
      "e2:succeeded",
      "e3:succeeded",
      "e4:succeeded",
    ]);
  });

  it("applies the history limits to what it moves", async () => {
    const clock = fakeClock();
    const directory = dirPath();
    const t = clock.now();
    await writeOldFormat(
      directory,
      Array.from({ length: 30 }, (_, i) => oldEntry(i, t - 30_000 + i)),
      t,
    );
    const m = await open(directory, { now: clock.now, commandConfig: { history: { maxEntries: 10 } } });
    expect((await m.getHistory(SESSION_ID)).map((h) => h.executionId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `e${20 + i}`),
    );
    await m.shutdown();
    const store = await FileStateStore.open({ directory });
    defer(() => store.close());
    expect(await store.read(HISTORY_LOG_PREFIX + SESSION_ID)).toHaveLength(10); // trimmed on disk too
  });
});
