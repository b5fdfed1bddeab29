// The shell with `stateStoreConfig.backend: "redis"`, against a real redis-server (no mock).
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigValidationError, createNoopLogger } from "@espada/infra-core";
import type { ExecutionOutcome } from "@espada/infra-core";
import { createSimpleProvider, defineCommand, defineProvider, success } from "@espada/infra-sdk";
import { recordingLogger, startRedisServer } from "@espada/infra-store-redis/testing";
import type { RedisServer } from "@espada/infra-store-redis/testing";
import { createInfrastructureFramework } from "./framework.js";
import type { InfrastructureFramework } from "./framework.js";

const PASSWORD = "shell-Passw0rd-a1b2c3";
const ENV = {
  ESPADA_INFRA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64"),
  ESPADA_INFRA_AUDIT_KEY: Buffer.alloc(32, 2).toString("base64"),
};

const meta = defineProvider()
  .id("echo")
  .name("echo")
  .displayName("Echo")
  .version("1.0.0")
  .category("custom")
  .capabilities("monitor", "scale")
  .supportedResources("custom")
  .authMethods("api-key")
  .build();
const say = defineCommand()
  .id("say")
  .name("Say")
  .category("monitor")
  .stringParam("text", "What to say", { required: true })
  .handler((params) => success({ said: params.text }));
const resize = defineCommand()
  .id("resize")
  .name("Resize")
  .category("manage")
  .stringParam("size", "New size", { required: true })
  .handler((params) => success({ size: params.size }));

function registerEcho(framework: InfrastructureFramework): void {
  framework.registry.registerFactory(meta, ({ instanceId, logger }) =>
    createSimpleProvider({
      meta,
      instanceId,
      logger,
      commands: [say, resize],
      onInitialize() {},
      onStart() {},
      onHealthCheck: () => [{ name: "echo", status: "healthy" }],
    }),
  );
}

let server: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  server = await startRedisServer({ tls: true, password: PASSWORD });
});
afterAll(async () => {
  await server.destroy();
});

describe("createInfrastructureFramework with the Redis state store", () => {
  let dir: string;
  const open: InfrastructureFramework[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "espada-shell-redis-"));
  });
  afterEach(async () => {
    for (const framework of open.splice(0)) await framework.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  const configFor = (keyPrefix: string, redis: Record<string, unknown> = {}) => ({
    providers: [
      { id: "echo", auth: { method: "api-key", credentials: { apiKey: "sk-live-abcdef0123456789" } } },
    ],
    discoveryConfig: { enabled: false },
    securityConfig: { policies: { assignments: [{ userId: "ann", roleId: "sre" }] } },
    stateStoreConfig: {
      backend: "redis",
      redis: { url: server.url.replace("redis://", `redis://:${PASSWORD}@`), keyPrefix, ...redis },
    },
  });

  async function frameworkOn(
    config: unknown,
    logger = createNoopLogger(),
    env: Record<string, string> = ENV,
  ): Promise<InfrastructureFramework> {
    const framework = await createInfrastructureFramework(config, { cwd: dir, logger, env });
    open.push(framework);
    registerEcho(framework);
    expect((await framework.start()).failed).toEqual([]);
    return framework;
  }

  it("keeps sessions, history, conversation confirmations and the audit chain in Redis: a second framework sees them, nothing is written under stateDir", async () => {
    const config = configFor(`shell-${prefixes++}`);
    const first = await frameworkOn(config);
    const session = await (
      await first.sessions()
    ).createSession({ userId: "ann", environment: "development" });
    const ran = await (
      await first.runner()
    ).execute({ instanceId: "echo", commandId: "say", params: { text: "hi" }, sessionId: session.id });
    expect(ran.status).toBe("succeeded");

    const second = await frameworkOn(config);
    const sessions = await second.sessions();
    expect((await sessions.getSession(session.id))?.userId).toBe("ann");
    expect((await sessions.getHistory(session.id)).map((h) => h.status)).toEqual(["succeeded"]);
    const resized = await (
      await second.runner()
    ).execute({ instanceId: "echo", commandId: "resize", params: { size: "xl" }, sessionId: session.id });
    expect(resized.status).toBe("succeeded");
    const audit = (await first.security()).auditLog;
    expect((await audit?.query({}))?.length).toBeGreaterThanOrEqual(4);
    expect((await audit?.verify())?.ok).toBe(true);
    expect((await (await second.security()).auditLog?.verify())?.ok).toBe(true);
    await first.conversation(); // its pending confirmations are in Redis too
    expect(await readdir(dir)).toEqual([]);
  });

  it("connects over TLS (rediss:// and the CA from the configuration)", async () => {
    const framework = await frameworkOn(
      configFor(`shell-${prefixes++}`, {
        url: String(server.tlsUrl).replace("rediss://", `rediss://:${PASSWORD}@`),
        tls: { ca: server.ca },
      }),
    );
    const ran = await (
      await framework.runner()
    ).execute({ instanceId: "echo", commandId: "resize", params: { size: "s" }, userId: "ann" });
    expect(ran.status).toBe("succeeded");
    expect((await (await framework.security()).auditLog?.verify())?.ok).toBe(true);
  });

  it("never puts the URL's credentials in a log or an error message", async () => {
    const lines: string[] = [];
    const keyPrefix = `shell-${prefixes++}`;
    const good = await frameworkOn(configFor(keyPrefix), recordingLogger(lines));
    await (
      await good.runner()
    ).execute({ instanceId: "echo", commandId: "say", params: { text: "x" }, userId: "ann" });
    await good.shutdown();

    const wrong = await createInfrastructureFramework(
      configFor(keyPrefix, {
        url: server.url.replace("redis://", "redis://admin:Wr0ng-Secret-77@"),
        connectTimeout: 2_000,
      }),
      { cwd: dir, logger: recordingLogger(lines), env: ENV },
    );
    open.push(wrong);
    const refused = await wrong
      .security()
      .catch((error: unknown) => error as { code?: string; message: string });
    expect(refused).toMatchObject({ code: "STORAGE_UNAVAILABLE" });
    const tls = await createInfrastructureFramework(
      configFor(keyPrefix, { url: String(server.tlsUrl).replace("rediss://", `rediss://:${PASSWORD}@`) }),
      { cwd: dir, logger: recordingLogger(lines), env: ENV },
    );
    open.push(tls);
    // a CA the configuration does not name: refused, and the reason says why
    const untrusted = await tls
      .runner()
      .catch((error: unknown) => error as { code?: string; message: string });
    expect(untrusted).toMatchObject({
      code: "STORAGE_UNAVAILABLE",
      message: expect.stringMatching(/certificate/i),
    });
    const invalid = await createInfrastructureFramework(
      configFor(keyPrefix, { url: `redis://:${PASSWORD}@127.0.0.1:1`, keyPrefix: "not a prefix" }),
    ).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(ConfigValidationError);

    const seen = JSON.stringify([
      lines,
      refused,
      (refused as { message?: string }).message,
      String((refused as { cause?: unknown }).cause),
      untrusted,
      (untrusted as { message?: string }).message,
      String((untrusted as { cause?: unknown }).cause),
      (invalid as Error).message,
      (invalid as ConfigValidationError).issues,
    ]);
    expect(seen).not.toContain(PASSWORD);
    expect(seen).not.toContain("Wr0ng-Secret-77");
    expect(seen).toContain(`127.0.0.1:${server.port}`);
  });

  it("needs one encryption key for every instance before it keeps sessions in Redis", async () => {
    const framework = await createInfrastructureFramework(configFor(`shell-${prefixes++}`), {
      cwd: dir,
      logger: createNoopLogger(),
      env: {},
    });
    open.push(framework);
    const error = await framework.sessions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).issues).toEqual([
      expect.objectContaining({ path: "securityConfig.encryption.key" }),
    ]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("while Redis is down denies mutating operations with the reason and says reads are unavailable; works again once it is back", async () => {
    const own = await startRedisServer();
    try {
      const framework = await frameworkOn({
        ...configFor("down", {
          url: own.url,
          reconnectMinDelay: 20,
          reconnectMaxDelay: 200,
          commandTimeout: 2_000,
        }),
      });
      const sessions = await framework.sessions();
      const session = await sessions.createSession({ userId: "ann", environment: "development" });
      const runner = await framework.runner();
      const run = (commandId: "say" | "resize"): Promise<ExecutionOutcome> =>
        runner.execute({
          instanceId: "echo",
          commandId,
          params: commandId === "say" ? { text: "t" } : { size: "m" },
          userId: "ann",
        });
      expect((await run("resize")).status).toBe("succeeded");

      await own.stop("SIGKILL");
      const mutating = await run("resize");
      // nothing ran, and the reason is the store, whichever step met it first
      expect(mutating.status).toBe("failed");
      if (mutating.status === "failed") {
        expect(mutating.result.error.code).toBe("STORAGE_UNAVAILABLE");
        expect(mutating.result.error.message).toContain(`state store ${own.url} is unavailable`);
      }
      const read = await sessions.getSession(session.id).catch((e: unknown) => e);
      expect(read).toMatchObject({
        code: "STORAGE_UNAVAILABLE",
        message: expect.stringMatching(/cannot be read/),
      });
      const approvals = await (await framework.security()).approvals.list().catch((e: unknown) => e);
      expect(approvals).toMatchObject({ code: "STORAGE_UNAVAILABLE" });

      await own.start();
      // waiting on an external process (the restarted redis-server) to accept the client again
      let back: unknown;
      for (let attempt = 0; attempt < 600; attempt++) {
        back = await sessions.getSession(session.id).catch((e: unknown) => e);
        if ((back as { userId?: string } | undefined)?.userId === "ann") break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(back).toMatchObject({ userId: "ann" });
      expect((await run("resize")).status).toBe("succeeded");
      expect((await (await framework.security()).auditLog?.verify())?.ok).toBe(true);
    } finally {
      await own.destroy();
    }
  });

  it("loads the Redis client only when the backend is redis", async () => {
    const script = fileURLToPath(new URL("../test/loadsRedisClient.mjs", import.meta.url));
    const run = async (config: unknown): Promise<boolean> => {
      const { stdout } = await promisify(execFile)(process.execPath, [script, dir, JSON.stringify(config)], {
        env: { ...process.env, ...ENV },
      });
      return JSON.parse(stdout.trim()) as boolean;
    };
    expect(await run({ discoveryConfig: { enabled: false } })).toBe(false);
    expect(await run(configFor(`shell-${prefixes++}`))).toBe(true);
  });
});
