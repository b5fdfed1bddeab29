import { readlinkSync, readdirSync } from "node:fs";
import fc from "fast-check";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import TransportStream from "winston-transport";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigValidationError, InfrastructureError, LOG_LEVELS } from "@espada/infra-core";
import type { InfrastructureLogger } from "@espada/infra-core";
import { InfrastructureLoggerImpl, createInfrastructureLogger, formatConsoleLine } from "./index.js";
import type { LogRecord, LoggingConfigInput } from "./index.js";

const FIXED = new Date("2026-01-02T03:04:05.678Z");

function capture(config: LoggingConfigInput = {}): {
  logger: InfrastructureLoggerImpl;
  records: LogRecord[];
} {
  const records: LogRecord[] = [];
  const sink = new TransportStream({
    log(info: LogRecord, next: () => void) {
      records.push(info);
      next();
    },
  });
  const logger = createInfrastructureLogger(
    { destinations: [], ...config },
    { transports: [sink], now: () => FIXED },
  );
  return { logger, records };
}

function openFdTargets(): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

describe("InfrastructureLoggerImpl", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "espada-logger-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("satisfies core's InfrastructureLogger contract", async () => {
    const logger = new InfrastructureLoggerImpl({ destinations: [] });
    const asContract: InfrastructureLogger = logger;
    expect(asContract.child("x").withContext({})).toBeInstanceOf(InfrastructureLoggerImpl);
    expect(logger.level).toBe("info");
    await logger.close();
  });

  it("records only entries at or above the configured level", async () => {
    const { logger, records } = capture({ level: "warn" });
    for (const level of LOG_LEVELS) logger[level](`at ${level}`);
    await logger.flush();
    expect(records.map((r) => r.level)).toEqual(["warn", "error", "fatal"]);
    await logger.close();
  });

  it("answers isLevelEnabled from the configured level", async () => {
    const { logger } = capture({ level: "debug" });
    expect(LOG_LEVELS.filter((level) => logger.isLevelEnabled(level))).toEqual([
      "debug",
      "info",
      "warn",
      "error",
      "fatal",
    ]);
    await logger.close();
  });

  it("reports nothing enabled when no destination exists", () => {
    const logger = createInfrastructureLogger({ destinations: [] });
    expect(logger.isLevelEnabled("fatal")).toBe(false);
    logger.fatal("goes nowhere");
  });

  it("raises the threshold to the least severe level any destination accepts", async () => {
    const logger = createInfrastructureLogger(
      {
        level: "trace",
        destinations: [{ type: "file", config: { path: join(dir, "a.log"), level: "warn" } }],
      },
      { baseDir: dir },
    );
    expect(logger.isLevelEnabled("info")).toBe(false);
    expect(logger.isLevelEnabled("warn")).toBe(true);
    await logger.close();
  });

  it("filters per destination level", async () => {
    const logger = createInfrastructureLogger(
      {
        level: "debug",
        destinations: [
          { type: "file", config: { path: "all.log" } },
          { type: "file", config: { path: "problems.log", level: "warn" } },
        ],
      },
      { baseDir: dir },
    );
    logger.debug("d");
    logger.warn("w");
    logger.fatal("f");
    await logger.close();
    const messages = async (file: string) =>
      (await readFile(join(dir, file), "utf8"))
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as LogRecord).message);
    expect(await messages("all.log")).toEqual(["d", "w", "f"]);
    expect(await messages("problems.log")).toEqual(["w", "f"]);
  });

  it("writes the structured entry shape", async () => {
    const { logger, records } = capture();
    const root = new Error("socket closed");
    const failure = Object.assign(new Error("connect failed", { cause: root }), { code: "ECONNREFUSED" });
    logger
      .child("registry")
      .withContext({
        providerId: "aws",
        sessionId: "s-1",
        commandId: "c-1",
        executionId: "e-1",
        resourceId: "r-1",
        userId: "u-1",
      })
      .error("command failed", { duration: 42, error: failure, region: "eu-west-1" });
    await logger.flush();
    const [record] = records;
    expect(record).toMatchObject({
      timestamp: FIXED.toISOString(),
      level: "error",
      subsystem: "registry",
      message: "command failed",
      providerId: "aws",
      sessionId: "s-1",
      commandId: "c-1",
      executionId: "e-1",
      resourceId: "r-1",
      userId: "u-1",
      duration: 42,
      error: {
        name: "Error",
        message: "connect failed",
        code: "ECONNREFUSED",
        cause: { name: "Error", message: "socket closed" },
      },
      metadata: { region: "eu-west-1" },
    });
    expect(record?.error?.stack).toContain("connect failed");
    await logger.close();
  });

  it("keeps the error's field and serializes thrown non-errors", async () => {
    const { logger, records } = capture();
    logger.warn("a", {
      error: new InfrastructureError("CONFIG_INVALID", "bad", { field: "destinations[0].type" }),
    });
    logger.warn("b", { error: { reason: "quota", token: "t0k" } });
    logger.warn("c", { error: "plain text" });
    await logger.flush();
    expect(records[0]?.error).toMatchObject({
      name: "InfrastructureError",
      code: "CONFIG_INVALID",
      field: "destinations[0].type",
    });
    expect(records[1]?.error).toEqual({
      name: "NonError",
      message: "non-error value (object)",
      value: { reason: "quota", token: "[REDACTED]" },
    });
    expect(records[2]?.error).toEqual({ name: "NonError", message: "plain text" });
    await logger.close();
  });

  it("honours includeTimestamps and includeMetadata", async () => {
    const { logger, records } = capture({ includeTimestamps: false, includeMetadata: false });
    logger.withContext({ providerId: "gcp" }).info("hello", { extra: 1, duration: 3 });
    await logger.flush();
    expect(JSON.parse(JSON.stringify(records[0]))).toEqual({
      level: "info",
      message: "hello",
      providerId: "gcp",
      duration: 3,
    });
    await logger.close();
  });

  it("appends child names to the subsystem and keeps context across children", async () => {
    const { logger, records } = capture();
    const lifecycle = logger.child("registry").withContext({ providerId: "aws" }).child("lifecycle");
    lifecycle.info("started");
    lifecycle.withContext({ sessionId: "s-9", providerId: "azure" }).info("switched");
    logger.info("root");
    await logger.flush();
    expect(records.map((r) => [r.subsystem, r.providerId, r.sessionId])).toEqual([
      ["registry.lifecycle", "aws", undefined],
      ["registry.lifecycle", "azure", "s-9"],
      [undefined, undefined, undefined],
    ]);
    expect(lifecycle.subsystem).toBe("registry.lifecycle");
    await logger.close();
  });

  it("lets per-call context fields override bound context without mutating the logger", async () => {
    const { logger, records } = capture();
    const scoped = logger.withContext({ providerId: "aws" });
    scoped.info("one", { providerId: "gcp" });
    scoped.info("two");
    await logger.flush();
    expect(records.map((r) => r.providerId)).toEqual(["gcp", "aws"]);
    await logger.close();
  });

  it("redacts secrets and patterns in message, context and metadata without touching the caller's object", async () => {
    const { logger, records } = capture({ redactPatterns: ["AKIA[0-9A-Z]{16}"] });
    const meta = { auth: { password: "hunter2", keys: ["AKIAABCDEFGHIJKLMNOP"] }, note: "fine" };
    const snapshot = structuredClone(meta);
    logger.withContext({ userId: "AKIAABCDEFGHIJKLMNOP" }).info("key AKIAABCDEFGHIJKLMNOP used", meta);
    await logger.flush();
    const text = JSON.stringify(records);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("AKIAABCDEFGHIJKLMNOP");
    expect(records[0]?.message).toBe("key [REDACTED] used");
    expect(meta).toEqual(snapshot);
    await logger.close();
  });

  it("property: a secret in arbitrary metadata never reaches JSON or console output", async () => {
    const { logger, records } = capture({ redactPatterns: ["ZQX[A-Za-z0-9]{10}"] });
    const secretArb = fc.stringMatching(/^[A-Za-z0-9]{10}$/).map((s) => `ZQX${s}`);
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        fc.constantFrom("password", "client_secret", "sessionToken", "Authorization", "apiKey", "note"),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
        async (secret, key, siblings, path) => {
          records.length = 0;
          // `note` is not a secret key: there the pattern has to catch it.
          const leaf = { ...siblings, [key]: key === "note" ? `see ${secret}!` : secret };
          const meta = path.reduceRight<Record<string, unknown>>(
            (inner, name) => ({ [`k${name}`]: [inner] }),
            leaf,
          );
          logger
            .withContext({ sessionId: secret })
            .info(`message ${secret}`, { ...meta, error: new Error(`bad ${secret}`) });
          await logger.flush();
          const [record] = records;
          expect(record).toBeDefined();
          expect(JSON.stringify(record)).not.toContain(secret);
          expect(formatConsoleLine(record!, false)).not.toContain(secret);
        },
      ),
      { numRuns: 150 },
    );
    await logger.close();
  });

  it("logs circular metadata without throwing", async () => {
    const { logger, records } = capture();
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    expect(() => logger.info("cycle", { loop })).not.toThrow();
    await logger.flush();
    expect(records[0]?.metadata).toEqual({ loop: { name: "loop", self: "[Circular]" } });
    await logger.close();
  });

  it("never throws from a log call, even with hostile metadata", async () => {
    const errors: string[] = [];
    const logger = createInfrastructureLogger(
      { destinations: [] },
      {
        transports: [new TransportStream({ log: (_info: unknown, next: () => void) => next() })],
        onError: (error) => errors.push(error.message),
      },
    );
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error("no keys");
        },
      },
    );
    expect(() => logger.info("x", hostile)).not.toThrow();
    expect(errors).toEqual(["no keys"]);
    await logger.close();
  });

  it("gives up flushing a transport that never drains and reports it instead of hanging", async () => {
    const errors: string[] = [];
    const stuck = new TransportStream({ log: () => undefined }); // never calls back
    const logger = createInfrastructureLogger(
      { destinations: [] },
      { transports: [stuck], onError: (error) => errors.push(error.message) },
    );
    for (let i = 0; i < 200; i += 1) logger.info(`entry ${i}`);
    await logger.flush(50);
    expect(errors).toEqual(["log flush gave up after 50 ms: a transport is not draining"]);
    stuck.destroy();
  });

  it("rejects an invalid config with a typed error naming the field", () => {
    const attempt = (config: unknown) => () => createInfrastructureLogger(config as LoggingConfigInput);
    expect(attempt({ level: "loud" })).toThrow(ConfigValidationError);
    try {
      createInfrastructureLogger({ destinations: [{ type: "file", config: { maxSize: 10 } }] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect((error as ConfigValidationError).field).toBe("destinations[0].config.path");
    }
    try {
      createInfrastructureLogger({
        destinations: [{ type: "remote", config: { url: "ftp://logs.example" } }],
      });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigValidationError).field).toBe("destinations[0].config.url");
    }
    expect(attempt({ destinations: [{ type: "syslog", config: {} }] })).toThrow(/destinations\[0\]\.type/);
    expect(attempt({ redactPatterns: ["("] })).toThrow(/redactPatterns\[0\]/);
  });

  it("reports the problems of every destination at once and builds none of them", () => {
    const stream = new PassThrough();
    const attempt = () =>
      createInfrastructureLogger(
        {
          destinations: [
            { type: "console", config: { stream: "stdout" } },
            { type: "file", config: { maxSize: -1, bogus: 1, other: 2 } },
            { type: "remote", config: { url: "ftp://logs.example", batchSize: "10" } },
          ],
        },
        { stdout: stream },
      );
    expect(attempt).toThrow(ConfigValidationError);
    try {
      attempt();
    } catch (error) {
      const issues = (error as ConfigValidationError).issues.map((i) => [i.code, i.path]);
      expect(issues).toStrictEqual([
        ["REQUIRED", "destinations[1].config.path"],
        ["TOO_SMALL", "destinations[1].config.maxSize"],
        ["UNKNOWN_KEY", "destinations[1].config.bogus"],
        ["UNKNOWN_KEY", "destinations[1].config.other"],
        ["INVALID_FORMAT", "destinations[2].config.url"],
        ["TYPE_MISMATCH", "destinations[2].config.batchSize"],
      ]);
    }
    // The valid console destination was never built: nothing listens on its stream.
    expect(stream.listenerCount("error")).toBe(0);
  });

  it("writes JSON lines to a file destination and leaves no open handle after close", async () => {
    const path = join(dir, "nested", "app.log");
    const logger = createInfrastructureLogger(
      { level: "debug", destinations: [{ type: "file", config: { path: "nested/app.log" } }] },
      { baseDir: dir },
    );
    logger.child("sessions").debug("one", { n: 1 });
    logger.info("two");
    await logger.flush();
    expect(openFdTargets()).toContain(path);
    await logger.close();
    expect(openFdTargets()).not.toContain(path);
    const lines = (await readFile(path, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as LogRecord);
    expect(lines.map((l) => [l.level, l.subsystem, l.message])).toEqual([
      ["debug", "sessions", "one"],
      ["info", undefined, "two"],
    ]);
    logger.info("after close is dropped");
    await logger.close();
    expect((await readFile(path, "utf8")).split("\n")).toHaveLength(3);
  });
});
