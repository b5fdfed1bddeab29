// Pending confirmations kept in core's StateStore: they survive a restart, expire, are acted on at
// most once, and a failing, hanging or corrupt store never loses a conversation or runs anything
// unconfirmed.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StateStore } from "@espada/infra-core";
import { StateStoreModel } from "@espada/infra-core/testing";
import { InfrastructureConversationManager, InfrastructureStateProvider } from "./index.js";
import { FakeRunner, catalogue } from "../test/managerFixture.js";

const PREFIX = "conversation/confirmations/";
const ctx = { conversationId: "c1", environment: "staging" };
const CREATE = "create an instance named web-9 in eu-west-1";

/** One process: a manager over `store`, with its own runner and memory. */
function boot(store: StateStore, now: () => number, errors: string[] = []) {
  const runner = new FakeRunner();
  const state = new InfrastructureStateProvider();
  state.upsertResource({
    id: "i-1",
    name: "web-1",
    type: "compute",
    environment: "production",
    updatedAt: 0,
  });
  const manager = new InfrastructureConversationManager({
    catalogue,
    runner,
    state,
    store,
    now,
    confirmationTtlMs: 60_000,
    onStoreError: (error, operation) => errors.push(`${operation}: ${error.message}`),
  });
  return { runner, manager };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("pending confirmations in a StateStore", () => {
  it("survive a restart: the next process runs the confirmed operation once, and never again", async () => {
    let now = 1_000_000;
    const store = new StateStoreModel(() => now);
    const first = boot(store, () => now);
    const ask = await first.manager.processMessage(CREATE, ctx);
    expect(ask.kind).toBe("confirmation");
    expect((await store.list(PREFIX)).map((r) => r.key)).toEqual([PREFIX + (ask.confirmation?.id ?? "")]);

    now += 10_000;
    const second = boot(store, () => now); // the first process is gone
    const done = await second.manager.processMessage("yes", ctx);
    expect(done.kind).toBe("executed");
    expect(second.runner.calls).toEqual([
      expect.objectContaining({
        commandId: "create-instance",
        confirmed: true,
        params: { name: "web-9", region: "eu-west-1" },
      }),
    ]);
    expect(await store.list(PREFIX)).toEqual([]);

    const third = boot(store, () => now);
    await third.manager.processMessage("yes", ctx);
    expect(third.runner.calls).toEqual([]);
    expect(first.runner.calls).toEqual([]);
  });

  it("keeps a typed confirmation typed across the restart, and a restored one answers only its own conversation", async () => {
    const now = 5_000;
    const store = new StateStoreModel(() => now);
    const first = boot(store, () => now);
    const ask = await first.manager.processMessage("delete web-1", {
      conversationId: "c1",
      environment: "production",
    });
    expect(ask.confirmation).toMatchObject({ level: "typed", expectedText: "web-1" });
    const second = boot(store, () => now);
    await second.manager.processMessage("web-1", { conversationId: "other", environment: "production" });
    expect(second.runner.calls.filter((c) => c.confirmed === true)).toEqual([]);
    expect(
      (await second.manager.processMessage("yes", { conversationId: "c1", environment: "production" })).kind,
    ).toBe("confirmation");
    const done = await second.manager.processMessage("web-1", {
      conversationId: "c1",
      environment: "production",
    });
    expect(done.kind).toBe("executed");
    expect(second.runner.calls.filter((c) => c.confirmed === true)).toEqual([
      expect.objectContaining({ commandId: "delete-instance", params: { instanceId: "i-1" } }),
    ]);
  });

  it("expire: after the TTL a restarted process finds nothing to confirm and runs nothing", async () => {
    let now = 0;
    const store = new StateStoreModel(() => now);
    await boot(store, () => now).manager.processMessage(CREATE, ctx);
    now += 60_000;
    const later = boot(store, () => now);
    const answer = await later.manager.processMessage("yes", ctx);
    expect(answer.kind).not.toBe("executed");
    expect(later.runner.calls).toEqual([]);
    expect(await store.list(PREFIX)).toEqual([]);
  });

  it("a failing write is reported; the confirmation still works in this process but is not durable", async () => {
    const now = 0;
    const model = new StateStoreModel(() => now);
    const failing: StateStore = Object.assign(Object.create(model) as StateStore, {
      put: () => Promise.reject(new Error("disk full")),
    });
    const errors: string[] = [];
    const one = boot(failing, () => now, errors);
    expect((await one.manager.processMessage(CREATE, ctx)).kind).toBe("confirmation");
    expect(errors).toEqual(["write: disk full"]);
    expect((await one.manager.processMessage("yes", ctx)).kind).toBe("executed");
    expect(one.runner.calls).toHaveLength(1);
    const restarted = boot(model, () => now);
    await restarted.manager.processMessage("yes", ctx);
    expect(restarted.runner.calls).toEqual([]);
  });

  it("runs nothing when the used confirmation cannot be removed from the store (no replay after a restart)", async () => {
    const now = 0;
    const model = new StateStoreModel(() => now);
    const one = boot(model, () => now);
    await one.manager.processMessage(CREATE, ctx);
    const noDelete: StateStore = Object.assign(Object.create(model) as StateStore, {
      delete: () => Promise.reject(new Error("EIO")),
    });
    const two = boot(noDelete, () => now);
    const answer = await two.manager.processMessage("yes", ctx);
    expect(answer.kind).toBe("failed");
    expect(answer.response).toMatch(/Nothing was run/);
    expect(two.runner.calls).toEqual([]);
  });

  it("a hanging write does not hang the conversation: the question is shown after the wait, from memory", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const now = 0;
    const model = new StateStoreModel(() => now);
    const hanging: StateStore = Object.assign(Object.create(model) as StateStore, {
      put: () => new Promise<never>(() => undefined),
    });
    const one = boot(hanging, () => now);
    const reply = one.manager.processMessage(CREATE, ctx);
    await vi.advanceTimersByTimeAsync(2_000);
    expect((await reply).kind).toBe("confirmation");
    // The write never landed: "yes" cannot make sure the record is gone, so nothing runs.
    const answer = one.manager.processMessage("yes", ctx);
    await vi.advanceTimersByTimeAsync(2_000);
    expect((await answer).kind).toBe("failed");
    expect(one.runner.calls).toEqual([]);
    vi.useRealTimers();
    const restarted = boot(model, () => now);
    await restarted.manager.processMessage("yes", ctx);
    expect(restarted.runner.calls).toEqual([]);
  });

  it("a corrupt or torn record is skipped and reported; the others are restored", async () => {
    const now = 0;
    const store = new StateStoreModel(() => now);
    await boot(store, () => now).manager.processMessage(CREATE, ctx);
    await store.put(`${PREFIX}torn`, { id: "torn", level: "simple", payload: { conversationId: 3 } });
    await store.put(`${PREFIX}other-key`, "not a confirmation");
    const errors: string[] = [];
    const second = boot(store, () => now, errors);
    expect((await second.manager.processMessage("yes", ctx)).kind).toBe("executed");
    expect(errors.filter((e) => e.startsWith("restore:"))).toHaveLength(2);
  });

  it("a store that cannot be listed is reported and the conversation goes on", async () => {
    const now = 0;
    const model = new StateStoreModel(() => now);
    const broken: StateStore = Object.assign(Object.create(model) as StateStore, {
      list: () => Promise.reject(new Error("EACCES")),
    });
    const errors: string[] = [];
    const one = boot(broken, () => now, errors);
    expect((await one.manager.processMessage(CREATE, ctx)).kind).toBe("confirmation");
    expect(errors).toEqual(["restore: EACCES"]);
  });
});
