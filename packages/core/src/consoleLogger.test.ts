import { describe, expect, it } from "vitest";
import { createConsoleLogger } from "./consoleLogger.js";
import { InfrastructureError } from "./errors.js";

describe("createConsoleLogger", () => {
  const capture = (level?: "debug" | "info" | "warn") => {
    const lines: string[] = [];
    const logger = createConsoleLogger({
      ...(level === undefined ? {} : { level }),
      write: (line) => lines.push(line),
      now: () => Date.UTC(2026, 0, 1, 12, 0, 0, 5),
    });
    return { lines, logger };
  };

  it("writes one labelled line per entry at or above its level (default info)", () => {
    const { lines, logger } = capture();
    logger.debug("hidden");
    logger
      .child("my-cloud-1")
      .withContext({ instanceId: "my-cloud-1", commandId: "create" })
      .info("created", { duration: 12.345, region: "eu" });
    expect(lines).toEqual([
      '12:00:00.005 INFO  [my-cloud-1] created instanceId=my-cloud-1 commandId=create duration=12.35ms {"region":"eu"}',
    ]);
    expect(logger.isLevelEnabled("debug")).toBe(false);
    expect(logger.isLevelEnabled("warn")).toBe(true);
  });

  it("names children by their path and honours the level", () => {
    const { lines, logger } = capture("warn");
    logger.child("registry").child("lifecycle").info("quiet");
    logger.child("registry").child("lifecycle").warn("loud");
    expect(lines).toEqual(["12:00:00.005 WARN  [registry.lifecycle] loud"]);
  });

  it("redacts secrets in metadata and messages, describes errors with their causes, keeps each entry on one line", () => {
    const { lines, logger } = capture("debug");
    const error = new InfrastructureError("TIMEOUT", "took too long", { cause: new Error("socket\nclosed") });
    logger.error("call failed\nretrying", { error, password: "hunter2", nested: { apiKey: "k-123" } });
    logger.info("connecting with password=hunter2");
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toContain("hunter2");
    expect(lines[0]).not.toContain("k-123");
    expect(lines[0]).toContain("call failed\\nretrying");
    expect(lines[0]).toContain(
      'error="InfrastructureError: took too long [TIMEOUT] <- Error: socket\\nclosed"',
    );
    expect(lines[1]).not.toContain("hunter2");
  });
});
