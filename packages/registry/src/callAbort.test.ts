import { describe, expect, it, vi } from "vitest";
import { CallAbort, listenAbort } from "./callAbort.js";

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
