import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frozenJsonCopy } from "@espada/infra-core";
import type { JsonValue } from "@espada/infra-core";
import { frozenJsonCopySharing } from "./sharedCopy.js";

/** JSON, with what a copy normalises or drops (-0, `undefined` properties, a `__proto__` key). */
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(0, -0, 1, 2.5, "s", "", true, false, null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom("a", "b", "c", "__proto__", "0"),
      fc.oneof(tie("value"), fc.constant(undefined)),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

/** What no copy accepts. */
const notJson: fc.Arbitrary<unknown> = fc.constantFrom(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  new Date(0),
  () => 1,
  Symbol("s"),
  10n,
  new Map(),
);

/** A value rebuilt from `previous` down to `depth` levels: each key kept by identity, replaced, or dropped. */
function rebuild(previous: unknown, edits: readonly number[], replacement: unknown, depth = 0): unknown {
  if (typeof previous !== "object" || previous === null || Array.isArray(previous) || depth > 3)
    return previous;
  const out: Record<string, unknown> = {};
  // an own property, also for a `__proto__` key (`out.__proto__ = x` would set the prototype)
  const set = (key: string, value: unknown): void => {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  };
  let i = depth;
  for (const [key, item] of Object.entries(previous)) {
    const edit = edits[i++ % edits.length] ?? 0;
    if (edit === 0)
      set(key, item); // kept: the stored object itself
    else if (edit === 1) set(key, rebuild(item, edits, replacement, depth + 1));
    else if (edit === 2) set(key, replacement);
  }
  if ((edits[0] ?? 0) === 3) set("added", replacement);
  return out;
}

/** Every object reachable from `value`. */
function objectsOf(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value === "object" && value !== null && !into.has(value)) {
    into.add(value);
    for (const item of Object.values(value)) objectsOf(item, into);
  }
  return into;
}

const deeplyFrozen = (value: unknown): boolean =>
  typeof value !== "object" ||
  value === null ||
  (Object.isFrozen(value) && Object.values(value).every(deeplyFrozen));

/** Core's copy, or its error (code, field, message). */
function outcome(copy: () => JsonValue): { ok: true; value: JsonValue } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: copy() };
  } catch (error) {
    const { code, field, message } = error as { code?: unknown; field?: unknown; message?: unknown };
    return { ok: false, error: { code, field, message } };
  }
}

describe("frozenJsonCopySharing", () => {
  it("gives core's copy (or core's error) for any value, sharing only the stored value's own objects", () => {
    fc.assert(
      fc.property(
        fc.record({
          v: fc.constant(1),
          session: fc.dictionary(fc.constantFrom("id", "variables", "resources", "list"), json),
        }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
        fc.oneof(json, notJson),
        (stored, edits, replacement) => {
          const previous = frozenJsonCopy(stored);
          const value = rebuild(previous, edits, replacement);
          const expected = outcome(() => frozenJsonCopy(value));
          const actual = outcome(() => frozenJsonCopySharing(value, previous));
          if (!expected.ok || !actual.ok) {
            expect(actual).toStrictEqual(expected);
            return;
          }
          expect(actual.value).toStrictEqual(expected.value);
          expect(JSON.stringify(actual.value)).toBe(JSON.stringify(expected.value)); // key order too
          expect(deeplyFrozen(actual.value)).toBe(true);
          // no object of the caller's ends up stored, unless it is one the store holds already
          const stored_ = objectsOf(previous);
          for (const object of objectsOf(actual.value))
            if (!stored_.has(object)) expect(objectsOf(value).has(object)).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("keeps an unchanged subtree of the stored value by identity and copies the changed ones", () => {
    const stored = frozenJsonCopy({
      v: 1,
      session: { resources: { r: { id: "r" } }, variables: { a: [1] } },
    });
    const previous = stored as unknown as {
      session: { resources: object; variables: { a: unknown } };
    };
    const mine = { b: [2] };
    const value = {
      v: 1,
      session: { ...previous.session, variables: { ...previous.session.variables, ...mine } },
    };
    const copy = frozenJsonCopySharing(value, stored) as unknown as typeof previous & {
      session: { variables: { b: unknown } };
    };
    expect(copy.session.resources).toBe(previous.session.resources);
    expect(copy.session.variables.a).toBe(previous.session.variables.a);
    expect(copy.session.variables.b).not.toBe(mine.b);
    mine.b.push(3); // the caller's array stays the caller's
    expect(copy.session.variables.b).toEqual([2]);
  });

  it("shares nothing with a value it was not given as the stored one", () => {
    const loaded = { nested: { list: [1] } }; // e.g. read from disk: not frozen, not checked
    const copy = frozenJsonCopySharing({ nested: loaded.nested }, undefined) as typeof loaded;
    expect(copy.nested).not.toBe(loaded.nested);
    expect(Object.isFrozen(copy.nested.list)).toBe(true);
  });
});
