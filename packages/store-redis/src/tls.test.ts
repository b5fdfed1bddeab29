// TLS towards a real redis-server started with --tls-port and a CA generated for this test run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisStateStore } from "./index.js";
import { recordingLogger, startRedisServer } from "./testing.js";
import type { RedisServer } from "./testing.js";

const PASSWORD = "tls-Passw0rd-9f8e7d";
let server: RedisServer;
let tlsUrl: string;
let ca: string;

beforeAll(async () => {
  server = await startRedisServer({ tls: true, password: PASSWORD });
  if (server.tlsUrl === undefined || server.ca === undefined) throw new Error("no TLS port");
  tlsUrl = server.tlsUrl;
  ca = server.ca;
});
afterAll(async () => {
  await server.destroy();
});

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code?: unknown; message: string; cause?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: unknown; message: string };
  }
  throw new Error("expected a rejection");
}

describe("TLS towards redis-server --tls-port", () => {
  it("connects over rediss:// with the private CA and a password in the URL, and the data is the plain port's", async () => {
    const lines: string[] = [];
    const secure = await createRedisStateStore(
      {
        backend: "redis",
        redis: { url: tlsUrl.replace("rediss://", `rediss://:${PASSWORD}@`), tls: { ca }, keyPrefix: "tls" },
      },
      { logger: recordingLogger(lines) },
    );
    expect(secure.description).toBe(tlsUrl);
    await secure.put("approvals/a1", { status: "approved" });
    expect((await secure.increment("rate/alice", 60_000)).value).toBe(1);
    // the same server, read over the plain port: TLS carried the real writes
    const plain = await createRedisStateStore({
      backend: "redis",
      redis: { url: server.url, password: PASSWORD, keyPrefix: "tls" },
    });
    expect((await plain.get("approvals/a1"))?.value).toEqual({ status: "approved" });
    await plain.close();
    await secure.close();
    expect(lines.join("\n")).not.toContain(PASSWORD);
  });

  it("connects with tls: { ca, servername } and the password as its own field", async () => {
    const store = await createRedisStateStore({
      backend: "redis",
      redis: {
        url: `redis://127.0.0.1:${String(server.tlsPort)}`,
        password: PASSWORD,
        tls: { ca, servername: "localhost" },
        keyPrefix: "tls",
      },
    });
    expect((await store.get("approvals/a1"))?.value).toEqual({ status: "approved" });
    await store.close();
  });

  it("refuses a server whose certificate its CA did not sign, without leaking the password", async () => {
    const lines: string[] = [];
    const error = await rejection(
      createRedisStateStore(
        {
          backend: "redis",
          redis: { url: tlsUrl.replace("rediss://", `rediss://:${PASSWORD}@`), connectTimeout: 2_000 },
        },
        { logger: recordingLogger(lines) },
      ),
    );
    expect(error.code).toBe("STORAGE_UNAVAILABLE");
    expect(error.message).toContain(tlsUrl);
    expect(error.message).toMatch(/certificate/i);
    expect(JSON.stringify([error.message, String(error.cause), ...lines])).not.toContain(PASSWORD);
  });

  it("refuses the TLS port without TLS (a plain client cannot talk to it)", async () => {
    const error = await rejection(
      createRedisStateStore({
        backend: "redis",
        redis: {
          url: `redis://127.0.0.1:${String(server.tlsPort)}`,
          password: PASSWORD,
          connectTimeout: 1_000,
        },
      }),
    );
    expect(error.code).toBe("STORAGE_UNAVAILABLE");
  });
});
