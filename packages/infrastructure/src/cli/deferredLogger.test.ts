import { describe, expect, it } from "vitest";
import { createMockLogger } from "@espada/infra-sdk";
import { createDeferredLogger } from "./deferredLogger.js";

describe("createDeferredLogger", () => {
  it("creates the real logger only for a line at or above the threshold, and replays lines in order with their scope", async () => {
    const real = createMockLogger();
    let created = 0;
    let closed = 0;
    const logger = createDeferredLogger("warn", () => {
      created += 1;
      return Promise.resolve(Object.assign(real, { close: () => Promise.resolve(void (closed += 1)) }));
    });
    logger.info("quiet");
    logger.child("registry").debug("quiet too");
    expect(created).toBe(0);
    expect(logger.isLevelEnabled("info")).toBe(false);
    expect(logger.isLevelEnabled("error")).toBe(true);
    logger.child("registry").warn("first", { providerId: "a" });
    logger.error("second");
    expect(created).toBe(1);
    await logger.close();
    expect(closed).toBe(1);
    expect(real.entries.map((e) => [e.level, e.message])).toEqual([
      ["warn", "first"],
      ["error", "second"],
    ]);
    logger.fatal("after");
    expect(real.entries.at(-1)?.message).toBe("after");
  });

  it("close() without any line creates nothing", async () => {
    let created = 0;
    const logger = createDeferredLogger("warn", () => {
      created += 1;
      return Promise.reject(new Error("never"));
    });
    logger.info("x");
    await logger.close();
    expect(created).toBe(0);
  });
});
