import { describe, expect, it, vi } from "vitest";
import { INFRASTRUCTURE_EVENT_TYPES, createEventBus } from "./events.js";
import type { InfrastructureEventType } from "./events.js";

const SPEC_EVENTS = [
  "provider:registered",
  "provider:initialized",
  "provider:ready",
  "provider:error",
  "provider:terminated",
  "session:created",
  "session:activated",
  "session:expired",
  "session:terminated",
  "command:started",
  "command:completed",
  "command:failed",
  "command:cancelled",
  "resource:created",
  "resource:updated",
  "resource:deleted",
  "resource:error",
  "health:check",
  "config:changed",
];

describe("event types", () => {
  it("are the spec's 19 plus command:progress, 20 unique names", () => {
    expect(INFRASTRUCTURE_EVENT_TYPES).toHaveLength(20);
    expect(new Set(INFRASTRUCTURE_EVENT_TYPES).size).toBe(20);
    expect([...INFRASTRUCTURE_EVENT_TYPES].sort()).toStrictEqual([...SPEC_EVENTS, "command:progress"].sort());
  });
});

describe("createEventBus", () => {
  it("delivers typed payloads to handlers of that type only", () => {
    const bus = createEventBus();
    const started = vi.fn();
    const failed = vi.fn();
    bus.on("command:started", started);
    bus.on("command:failed", failed);
    const event = { timestamp: 1, executionId: "e", commandId: "c", providerId: "p" };
    bus.emit("command:started", event);
    expect(started).toHaveBeenCalledWith(event);
    expect(failed).not.toHaveBeenCalled();
  });

  it("isolates a throwing handler: the others run, the emitter never sees the throw", () => {
    const onHandlerError = vi.fn();
    const bus = createEventBus({ onHandlerError });
    const after = vi.fn();
    const wildcard = vi.fn();
    const boom = new Error("handler bug");
    bus.on("session:created", () => {
      throw boom;
    });
    bus.on("session:created", after);
    bus.on("*", wildcard);
    expect(() => bus.emit("session:created", { timestamp: 1, sessionId: "s" })).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    expect(wildcard).toHaveBeenCalledWith("session:created", { timestamp: 1, sessionId: "s" });
    expect(onHandlerError).toHaveBeenCalledWith(boom, "session:created");
  });

  it("isolates a throwing wildcard handler and swallows errors without onHandlerError", () => {
    const bus = createEventBus();
    const later = vi.fn();
    bus.on("*", () => {
      throw new Error("wild");
    });
    bus.on("*", later);
    expect(() => bus.emit("config:changed", { timestamp: 1 })).not.toThrow();
    expect(later).toHaveBeenCalledTimes(1);
  });

  it("reports an async handler's rejection instead of leaving it unhandled", async () => {
    let resolve: (value: [unknown, string]) => void = () => undefined;
    const reported = new Promise<[unknown, string]>((done) => (resolve = done));
    const bus = createEventBus({ onHandlerError: (error, type) => resolve([error, type]) });
    const boom = new Error("async boom");
    // A JavaScript caller (or one without this lint rule) can subscribe an async handler.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    bus.on("command:failed", async () => {
      await Promise.resolve();
      throw boom;
    });
    bus.emit("command:failed", { timestamp: 1, executionId: "e", commandId: "c", providerId: "p" });
    expect(await reported).toStrictEqual([boom, "command:failed"]);
  });

  it("lets a handler unsubscribe itself during an emit without skipping the next one", () => {
    const bus = createEventBus();
    const second = vi.fn();
    const once = (): void => bus.off("health:check", once);
    bus.on("health:check", once);
    bus.on("health:check", second);
    const event = {
      timestamp: 1,
      providerId: "p",
      health: { status: "healthy" as const, checks: [], checkedAt: 1 },
    };
    bus.emit("health:check", event);
    bus.emit("health:check", event);
    expect(second).toHaveBeenCalledTimes(2);
    expect(bus.all.get("health:check")).toHaveLength(1);
  });

  it("works for all 20 event types", () => {
    const bus = createEventBus();
    const seen: InfrastructureEventType[] = [];
    bus.on("*", (type) => seen.push(type));
    for (const type of INFRASTRUCTURE_EVENT_TYPES) bus.emit(type, { timestamp: 0 } as never);
    expect(seen).toStrictEqual([...INFRASTRUCTURE_EVENT_TYPES]);
  });
});
