import { describe, expect, it, vi } from "vitest";
import { createNoopLogger } from "@espada/infra-core";
import { CallAbort, listenAbort, RunContext } from "./callAbort.js";

describe("CallAbort", () => {
  it("makes no signal until one is read", () => {
    const abort = new CallAbort();
    abort.abort(new Error("first"));
    expect(abort.aborted).toBe(true);
    expect(abort.hasSignal).toBe(false);
  });

  it("a signal read after the abort is aborted with the same reason", () => {
    const abort = new CallAbort();
    const reason = new Error("timed out");
    abort.abort(reason);
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe(reason);
  });

  it("a signal read before the abort aborts with it, its listeners before the call's own", () => {
    const abort = new CallAbort();
    const order: string[] = [];
    abort.signal.addEventListener("abort", () => order.push("signal"));
    abort.onAbort(() => order.push("call"));
    const reason = new Error("cancelled");
    abort.abort(reason);
    expect(order).toEqual(["signal", "call"]);
    expect(abort.signal.reason).toBe(reason);
    expect(abort.reason).toBe(reason);
  });

  it("the first abort wins; listeners run once and can be removed", () => {
    const abort = new CallAbort();
    const kept = vi.fn();
    const removed = vi.fn();
    abort.onAbort(kept);
    abort.onAbort(removed)();
    const first = new Error("first");
    abort.abort(first);
    abort.abort(new Error("second"));
    expect(abort.reason).toBe(first);
    expect(kept).toHaveBeenCalledTimes(1);
    expect(removed).not.toHaveBeenCalled();
    // nothing is called for a listener added once aborted: callers check `aborted` first
    const late = vi.fn();
    abort.onAbort(late)();
    expect(late).not.toHaveBeenCalled();
  });

  it("listenAbort listens to an AbortSignal as well, once, and stops when told", () => {
    const controller = new AbortController();
    const heard = vi.fn();
    const stopped = vi.fn();
    listenAbort(controller.signal, heard);
    listenAbort(controller.signal, stopped)();
    controller.abort();
    expect(heard).toHaveBeenCalledTimes(1);
    expect(stopped).not.toHaveBeenCalled();
  });
});

describe("RunContext", () => {
  const fields = {
    executionId: "e1",
    sessionId: undefined,
    userId: "u",
    environment: "development" as const,
    dryRun: false,
    confirmed: false,
    progress: () => undefined,
    logger: createNoopLogger(),
    variables: {},
  };

  it("makes the call's signal only when read, and every read is that one signal", () => {
    const abort = new CallAbort();
    const context = new RunContext(abort, fields);
    expect(abort.hasSignal).toBe(false);
    expect(context.executionId).toBe("e1");
    expect("timeout" in context || "validated" in context).toBe(false);
    const signal = context.signal;
    expect(abort.hasSignal).toBe(true);
    expect(context.signal).toBe(signal);
    abort.abort(new Error("late"));
    expect(signal.aborted).toBe(true);
  });

  it("a spread copy carries the real signal (an own enumerable key), as a plain context would", () => {
    const abort = new CallAbort();
    const context = new RunContext(abort, { ...fields, timeout: 5 });
    expect(Object.keys(context)).toContain("signal");
    const copy = { ...context };
    expect(copy.signal).toBe(abort.signal);
    expect(copy.timeout).toBe(5);
    const reason = new Error("timed out");
    abort.abort(reason);
    expect(copy.signal.reason).toBe(reason);
  });
});
