import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frozenJsonCopy, jsonObjectSchema } from "@espada/infra-core";
import type { InfrastructureSession } from "@espada/infra-core";
import { createInfrastructureSessionManager } from "./sessionManager.js";
import type { InfrastructureSessionManager } from "./sessionManager.js";
import { InMemorySessionStorage } from "./sessionStorage.js";
import type { SessionStorage } from "./sessionStorage.js";
import { cleanupAfterEach } from "../test/helpers.js";

const { defer, dir } = cleanupAfterEach();

/** Keys that name prototype machinery, plus a plain one. */
const KEYS = ["__proto__", "constructor", "prototype", "a"] as const;

/** An object with these entries as OWN properties (`out.__proto__ = x` would set the prototype instead). */
function own(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries)
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** JSON objects keyed by {@link KEYS} at every level, with what a copy normalises (-0, `undefined`). */
const objects = fc.letrec<{ object: Record<string, unknown>; value: unknown }>((tie) => ({
  object: fc
    .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie("value")), {
      selector: ([key]) => key,
      maxLength: 4,
    })
    .map(own),
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(1, -0, "s", true, null, undefined),
    fc.array(fc.constantFrom(1, "t"), { maxLength: 2 }),
    tie("object"),
  ),
})).object;

/** JSON text of a session's variables (a `__proto__` key kept as data shows up in it). */
const text = (session: InfrastructureSession | undefined): string => JSON.stringify(session?.variables);

async function open(options: { readonly directory?: string; readonly storage?: SessionStorage } = {}) {
  const manager = await createInfrastructureSessionManager({
    ...(options.directory === undefined
      ? { sessionConfig: { persistState: false } }
      : { sessionConfig: { persistState: true }, stateDirectory: options.directory, env: {} }),
    ...(options.storage === undefined ? {} : { storage: options.storage }),
  });
  defer(() => manager.shutdown());
  return manager;
}

/** The same variables given at create, merged by an update, and replacing by an update. */
async function writeAll(
  manager: InfrastructureSessionManager,
  variables: Record<string, unknown>,
): Promise<InfrastructureSession[]> {
  const created = await manager.createSession({ userId: "u", variables });
  const merged = await manager.updateVariables((await manager.createSession({ userId: "u" })).id, variables);
  const replaced = await manager.updateVariables(
    (await manager.createSession({ userId: "u", variables: { a: 1 } })).id,
    variables,
    { replace: true },
  );
  return [created, merged, replaced];
}

/**
 * A storage that writes a copy of each session it is given: the manager's own writes then go the
 * store's generic copy, whatever the manager built.
 */
function copyingStorage(): SessionStorage {
  const inner = new InMemorySessionStorage();
  return {
    persistent: false,
    get problems() {
      return inner.problems;
    },
    get: (id) => inner.get(id),
    list: () => inner.list(),
    write: (session, version, options) => inner.write({ ...session }, version, options),
    delete: (id) => inner.delete(id),
    appendHistory: (id, entry) => inner.appendHistory(id, entry),
    readHistory: (id) => inner.readHistory(id),
    trimHistory: (id, options) => inner.trimHistory(id, options),
    deleteHistory: (id) => inner.deleteHistory(id),
    close: () => inner.close(),
  };
}

describe("session variables: one rule for every entry point", () => {
  it("create, update (merge and replace) and a reload give what core's jsonObjectSchema gives", async () => {
    await fc.assert(
      fc.asyncProperty(objects, async (variables) => {
        // the schema's decision: an own `__proto__` key at the top is dropped, every other key is data
        const expected = JSON.stringify(frozenJsonCopy(jsonObjectSchema.parse(variables)));
        const directory = dir();
        const memory = await writeAll(await open(), variables);
        const generic = await writeAll(await open({ storage: copyingStorage() }), variables);
        const file = await open({ directory });
        const stored = await writeAll(file, variables);
        await file.shutdown();
        const reopened = await open({ directory });
        const reloaded = await Promise.all(stored.map((s) => reopened.getSession(s.id)));
        await reopened.shutdown();
        for (const session of [...memory, ...generic, ...stored, ...reloaded]) {
          expect(text(session)).toBe(expected);
          expect(Object.hasOwn(session?.variables ?? {}, "__proto__")).toBe(false);
          expect(Object.getPrototypeOf(session?.variables)).toBe(Object.prototype);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("drops a top-level __proto__ key on update as on create, and keeps a nested one as data", async () => {
    const manager = await open();
    const variables = JSON.parse(
      '{"__proto__":{"polluted":true},"nested":{"__proto__":1},"constructor":2}',
    ) as Record<string, unknown>;
    const created = await manager.createSession({ userId: "u", variables });
    const updated = await manager.updateVariables(
      (await manager.createSession({ userId: "u" })).id,
      variables,
    );
    for (const session of [created, updated]) {
      expect(JSON.stringify(session.variables)).toBe('{"nested":{"__proto__":1},"constructor":2}');
      expect(Object.hasOwn(session.variables, "__proto__")).toBe(false);
    }
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("stores what the generic copy stores: -0 as 0, undefined properties dropped, a clock's -0 as 0", async () => {
    const variables = { zero: -0, gone: undefined, list: [-0], nested: { gone: undefined, kept: 1 } };
    const expected = '{"zero":0,"list":[0],"nested":{"kept":1}}';
    for (const manager of [await open(), await open({ storage: copyingStorage() })]) {
      const [created, merged, replaced] = await writeAll(manager, variables);
      for (const session of [created, merged, replaced]) {
        expect(JSON.stringify(session?.variables)).toBe(expected);
        expect(Object.is(session?.variables["zero"], 0)).toBe(true);
        expect(Object.hasOwn(session?.variables ?? {}, "gone")).toBe(false);
      }
    }
    const clocked = await createInfrastructureSessionManager({
      sessionConfig: { persistState: false },
      now: () => -0,
    });
    defer(() => clocked.shutdown());
    const session = await clocked.createSession({ userId: "u" });
    expect(Object.is(session.createdAt, 0)).toBe(true);
    expect(Object.is((await clocked.updateVariables(session.id, { a: 1 })).lastActivityAt, 0)).toBe(true);
  });
});
