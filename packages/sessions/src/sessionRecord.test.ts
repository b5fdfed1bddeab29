import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { InfrastructureSession, JsonValue } from "@espada/infra-core";
import { FileStateStore } from "./fileStateStore.js";
import { EncryptionKeyring, ENCRYPTION_KEY_ENV, sealedValueSchema } from "./keyring.js";
import { createInfrastructureSessionManager } from "./sessionManager.js";
import { FileSessionStorage, SESSION_KEY_PREFIX, sessionSchemaCheck } from "./sessionStorage.js";
import type { StoreProblem } from "./problems.js";
import { cleanupAfterEach } from "../test/helpers.js";

const { defer, dir: dirPath } = cleanupAfterEach();
const env = { [ENCRYPTION_KEY_ENV]: Buffer.alloc(32, 9).toString("base64") };

async function managerIn(directory: string, onProblem?: (p: StoreProblem) => void) {
  const m = await createInfrastructureSessionManager({
    stateDirectory: directory,
    env,
    ...(onProblem === undefined ? {} : { onProblem }),
  });
  defer(() => m.shutdown());
  return m;
}

type Stored = { v: number; check: string; session: Record<string, JsonValue>; sealed: JsonValue };

describe("session records (v2: one sealed value authenticating the whole record)", () => {
  it("a change to any non-secret field on disk is detected before anything of the session is used: CRYPTO_FAILED naming it, the others unaffected", async () => {
    const directory = dirPath();
    let m = await managerIn(directory);
    const s = await m.createSession({
      userId: "alice",
      auth: { method: "api-key", credentials: { apiKey: "k-1" } },
    });
    const other = await m.createSession({ userId: "bob" });
    await m.shutdown();
    const store = await FileStateStore.open({ directory });
    const record = await store.get<Stored>(SESSION_KEY_PREFIX + s.id);
    expect(record?.value.v).toBe(2);
    expect(JSON.stringify(record?.value)).not.toContain("k-1"); // the secret is sealed
    const tampered = {
      ...(record?.value as Stored),
      session: { ...record?.value.session, userId: "mallory" },
    };
    await store.put(SESSION_KEY_PREFIX + s.id, tampered);
    await store.close();
    const problems: StoreProblem[] = [];
    m = await managerIn(directory, (p) => problems.push(p));
    // a listing does not authenticate (a start over thousands of sessions would decrypt them all)…
    const listed = (await m.listSessions()).find((x) => x.id === s.id);
    expect(problems).toEqual([]);
    // …but its secrets, a read and any change authenticate the whole record first
    expect(() => listed?.auth?.credentials).toThrow(expect.objectContaining({ code: "CRYPTO_FAILED" }));
    await expect(m.getSession(s.id)).rejects.toMatchObject({
      code: "CRYPTO_FAILED",
      message: expect.stringContaining(s.id) as string,
    });
    await expect(m.updateVariables(s.id, { x: 1 })).rejects.toMatchObject({ code: "CRYPTO_FAILED" });
    await expect(m.terminateSession(s.id)).rejects.toMatchObject({ code: "CRYPTO_FAILED" });
    expect(problems).toEqual([expect.objectContaining({ kind: "crypto", key: s.id })]);
    // found out: no longer listed; the other session reads and changes as before
    expect((await m.listSessions()).map((x) => x.id)).toEqual([other.id]);
    expect((await m.updateVariables(other.id, { y: 2 })).variables).toEqual({ y: 2 });
    await m.shutdown();
    const check = await FileStateStore.open({ directory });
    expect((await check.get<Stored>(SESSION_KEY_PREFIX + s.id))?.value).toEqual(tampered); // nothing written over it
    await check.close();
  });

  it("a record checked against another schema version is parsed on load (defaults applied), then trusted once rewritten", async () => {
    const directory = dirPath();
    const m0 = await managerIn(directory);
    await m0.shutdown();
    const keyring = await EncryptionKeyring.open({ directory, env });
    const now = Date.now();
    const id = "0b9f6a40-1c5e-4d0e-8f57-7d3b2b3c4d5e";
    // written by a version whose schema had no `environment` default yet
    const session = {
      id,
      userId: "carol",
      state: "active",
      resources: {},
      variables: {},
      pendingOperations: [],
      metadata: {},
      createdAt: now,
      lastActivityAt: now,
      expiresAt: now + 60_000,
    };
    const check = "an-older-schema";
    const sealed = keyring.seal({ params: {} }, `${id}/session`, `${check}\n${JSON.stringify(session)}`);
    const store = await FileStateStore.open({ directory });
    await store.put(SESSION_KEY_PREFIX + id, { v: 2, check, session, sealed });
    await store.close();
    const m = await managerIn(directory);
    expect(await m.getSession(id)).toMatchObject({ id, userId: "carol", environment: "development" });
    await m.updateVariables(id, { a: 1 });
    await m.shutdown();
    const after = await FileStateStore.open({ directory });
    defer(() => after.close());
    expect((await after.get<Stored>(SESSION_KEY_PREFIX + id))?.value.check).toBe(sessionSchemaCheck());
  });

  it("a session that fails core's schema is refused on write (VALIDATION_FAILED), nothing stored", async () => {
    const directory = dirPath();
    const storage = await FileSessionStorage.open({ directory, env });
    defer(() => storage.close());
    const now = Date.now();
    const bad: InfrastructureSession = {
      id: "s-1",
      userId: "",
      state: "active",
      environment: "dev",
      resources: {},
      variables: {},
      pendingOperations: [],
      metadata: {},
      createdAt: now,
      lastActivityAt: now,
      expiresAt: now + 1,
    };
    await expect(storage.write(bad, 0)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(await storage.get("s-1")).toBeUndefined();
  });

  it("pending-operation params and credentials survive a restart sealed in one value", async () => {
    const directory = dirPath();
    let m = await managerIn(directory);
    const s = await m.createSession({
      userId: "alice",
      auth: { method: "api-key", credentials: { apiKey: "k-2" } },
    });
    await m.addPendingOperation(s.id, {
      id: "op-1",
      kind: "confirmation",
      commandId: "vm.delete",
      commandCategory: "manage",
      providerId: "aws",
      instanceId: "aws-1",
      userId: "alice",
      environment: "production",
      params: { target: "vm-1", password: "p@ss" },
      dryRun: false,
      createdAt: Date.now(),
      reason: "deletes",
    });
    await m.shutdown();
    const store = await FileStateStore.open({ directory });
    const text = JSON.stringify((await store.get(SESSION_KEY_PREFIX + s.id))?.value);
    await store.close();
    expect(text).not.toContain("p@ss");
    expect(text).not.toContain("k-2");
    m = await managerIn(directory);
    const back = await m.getSession(s.id);
    expect(back?.auth?.credentials).toEqual({ apiKey: "k-2" });
    expect(back?.pendingOperations[0]?.params).toEqual({ target: "vm-1", password: "p@ss" });
    expect(Object.isFrozen(back?.pendingOperations[0]?.params)).toBe(true);
  });

  it("a listed session opens its sealed credentials and params on first read, and writes them back sealed", async () => {
    const directory = dirPath();
    let m = await managerIn(directory);
    const s = await m.createSession({
      userId: "alice",
      auth: { method: "api-key", credentials: { apiKey: "k-3" }, options: { region: "eu" } },
      variables: { nested: { list: [1] } },
    });
    await m.addPendingOperation(s.id, {
      id: "op-1",
      kind: "confirmation",
      commandId: "vm.delete",
      commandCategory: "manage",
      providerId: "aws",
      instanceId: "aws-1",
      userId: "alice",
      environment: "production",
      params: { target: "vm-1", password: "p@ss-3" },
      dryRun: false,
      createdAt: Date.now(),
      reason: "deletes",
    });
    await m.shutdown();
    m = await managerIn(directory);
    const [listed] = await m.listSessions();
    const deeplyFrozen = (value: unknown): boolean =>
      typeof value !== "object" ||
      value === null ||
      (Object.isFrozen(value) && Object.values(value).every(deeplyFrozen));
    expect(deeplyFrozen(listed)).toBe(true); // reads the sealed parts too
    expect(listed?.auth).toEqual({
      method: "api-key",
      credentials: { apiKey: "k-3" },
      options: { region: "eu" },
    });
    expect(listed?.pendingOperations[0]?.params).toEqual({ target: "vm-1", password: "p@ss-3" });
    expect(JSON.parse(JSON.stringify(listed))).toEqual(await m.getSession(s.id));
    // a change made from what was listed keeps the secrets, sealed again
    await m.updateVariables(s.id, { more: true });
    await m.shutdown();
    const store = await FileStateStore.open({ directory });
    const text = JSON.stringify((await store.get(SESSION_KEY_PREFIX + s.id))?.value);
    await store.close();
    expect(text).not.toContain("k-3");
    expect(text).not.toContain("p@ss-3");
    m = await managerIn(directory);
    const back = await m.getSession(s.id);
    expect(back?.auth?.credentials).toEqual({ apiKey: "k-3" });
    expect(back?.pendingOperations[0]?.params).toEqual({ target: "vm-1", password: "p@ss-3" });
    expect(back?.variables).toEqual({ nested: { list: [1] }, more: true });
  });

  it("listed sessions share their getters but each opens its own secrets (spread and JSON too)", async () => {
    const directory = dirPath();
    let m = await managerIn(directory);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const s = await m.createSession({
        userId: `u${n}`,
        auth: { method: "api-key", credentials: { apiKey: `key-${n}` }, options: {}, expiresAt: n },
      });
      ids.push(s.id);
      await m.addPendingOperation(s.id, {
        id: `op-${n}`,
        kind: "confirmation",
        commandId: "vm.delete",
        commandCategory: "manage",
        providerId: "aws",
        instanceId: "aws-1",
        userId: `u${n}`,
        environment: "production",
        params: { target: `vm-${n}` },
        dryRun: false,
        createdAt: n,
        reason: "deletes",
      });
    }
    await m.shutdown();
    m = await managerIn(directory);
    const listed = await m.listSessions();
    for (const [i, id] of ids.entries()) {
      const session = listed.find((s) => s.id === id);
      const n = i + 1;
      expect({ ...session?.auth }).toEqual({
        method: "api-key",
        credentials: { apiKey: `key-${n}` },
        options: {},
        expiresAt: n,
      });
      expect(JSON.parse(JSON.stringify(session?.pendingOperations[0]))).toMatchObject({
        id: `op-${n}`,
        params: { target: `vm-${n}` },
      });
      expect(Object.getOwnPropertySymbols({ ...session?.auth })).toEqual([]); // nothing extra is copied
    }
  });

  it("the keyring's shape check of a sealed value agrees with sealedValueSchema", async () => {
    const keyring = await EncryptionKeyring.open({ env });
    const good = keyring.seal({ a: 1 }, "ctx");
    const field = fc.oneof(
      fc.string(),
      fc.constant(""),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.constant("aes-256-gcm"),
    );
    fc.assert(
      fc.property(
        fc.record({ alg: field, kid: field, iv: field, tag: field, data: field }, { requiredKeys: [] }),
        fc.boolean(),
        (candidate, keepGood) => {
          const value = keepGood ? { ...good, ...candidate } : candidate;
          const accepted = (() => {
            try {
              keyring.open(value, "ctx");
              return "opened";
            } catch (error) {
              return (error as Error).message.includes("malformed") ? "malformed" : "refused";
            }
          })();
          expect(accepted === "malformed").toBe(!sealedValueSchema.safeParse(value).success);
        },
      ),
    );
  });
});
