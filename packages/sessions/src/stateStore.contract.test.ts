import { afterEach, describe, expect, it } from "vitest";
import { runStateStoreContract } from "@espada/infra-core/testing";
import { InMemoryStateStore } from "./memoryStateStore.js";
import { FileStateStore } from "./fileStateStore.js";
import { fakeClock, tempDir } from "../test/helpers.js";

// core's exported, runner-neutral StateStore contract: the same checks a Redis store runs
runStateStoreContract({ describe, it }, "StateStore contract: InMemoryStateStore", (clock) =>
  Promise.resolve({ store: new InMemoryStateStore({ now: clock.now }) }),
);
runStateStoreContract({ describe, it }, "StateStore contract: FileStateStore", async (clock) => {
  const dir = tempDir();
  const open = () => FileStateStore.open({ directory: dir.path, now: clock.now });
  return { store: await open(), reopen: open, cleanup: dir.cleanup };
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("purgeExpired (memory and file stores)", () => {
  it.each([
    ["InMemoryStateStore", (now: () => number) => Promise.resolve(new InMemoryStateStore({ now }))],
    [
      "FileStateStore",
      async (now: () => number) => {
        const dir = tempDir();
        cleanups.push(dir.cleanup);
        return FileStateStore.open({ directory: dir.path, now });
      },
    ],
  ] as const)("%s removes expired records now", async (_name, open) => {
    const clock = fakeClock();
    const store = await open(clock.now);
    cleanups.push(() => store.close());
    await store.put("a", 1, { ttlMs: 10 });
    await store.put("b", 1, { ttlMs: 10 });
    await store.put("c", 1);
    clock.advance(10);
    expect(await store.purgeExpired()).toBe(2);
    expect((await store.list("")).map((r) => r.key)).toEqual(["c"]);
  });
});
