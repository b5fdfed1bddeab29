import { describe, expect, it } from "vitest";
import {
  InfrastructureError,
  MAX_TIMER_MS,
  TimeoutError,
  cancelledError,
  clampTimerDelay,
  raceAbort,
} from "./index.js";

describe("cancelledError", () => {
  it("passes an infrastructure error reason through and wraps any other reason as CANCELLED", () => {
    const timeout = new TimeoutError("Command", 10);
    const timedOut = new AbortController();
    timedOut.abort(timeout);
    expect(cancelledError(timedOut.signal, "x")).toBe(timeout);
    const plain = new AbortController();
    plain.abort("stop");
    expect(cancelledError(plain.signal, "Command")).toMatchObject({
      code: "CANCELLED",
      message: "Command was cancelled",
      cause: "stop",
    });
    expect(cancelledError(undefined, "wait")).toMatchObject({
      code: "CANCELLED",
      message: "wait was cancelled",
    });
  });
});

describe("raceAbort", () => {
  it("settles with the work while the signal stays quiet", async () => {
    const controller = new AbortController();
    await expect(raceAbort(Promise.resolve(1), controller.signal, "work")).resolves.toBe(1);
    await expect(raceAbort(Promise.reject(new Error("boom")), controller.signal, "work")).rejects.toThrow(
      "boom",
    );
  });

  it("rejects as soon as the signal aborts while the work hangs, and at once when already aborted", async () => {
    const controller = new AbortController();
    const raced = raceAbort(new Promise<never>(() => undefined), controller.signal, 'Command "x"');
    controller.abort();
    await expect(raced).rejects.toMatchObject({ code: "CANCELLED", message: 'Command "x" was cancelled' });
    const lateFailure = Promise.reject(new Error("ignored"));
    await expect(raceAbort(lateFailure, controller.signal, "work")).rejects.toBeInstanceOf(
      InfrastructureError,
    );
  });
});

describe("clampTimerDelay", () => {
  it("keeps delays a Node timer honours and clamps the rest into [0, MAX_TIMER_MS]", () => {
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
    expect(clampTimerDelay(1500)).toBe(1500);
    expect(clampTimerDelay(-5)).toBe(0);
    expect(clampTimerDelay(3e9)).toBe(MAX_TIMER_MS);
    expect(clampTimerDelay(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_MS);
  });
});
