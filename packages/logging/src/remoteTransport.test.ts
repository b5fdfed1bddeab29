import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RemoteTransport, createInfrastructureLogger } from "./index.js";

interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: { message: string }[];
}

describe("RemoteTransport", () => {
  let server: Server;
  let url: string;
  let received: Received[];
  let status: number;

  beforeEach(async () => {
    received = [];
    status = 200;
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({
          headers: request.headers,
          body: JSON.parse(Buffer.concat(chunks).toString()) as { message: string }[],
        });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
  });

  afterEach(async () => {
    vi.useRealTimers();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const next = (): void => undefined;
  const entry = (n: number) => ({ level: "info", message: `m${n}` });

  it("posts full batches as JSON arrays with the configured headers", async () => {
    const transport = new RemoteTransport({ url, batchSize: 2, headers: { authorization: "Bearer abc" } });
    for (let i = 0; i < 5; i += 1) transport.log(entry(i), next);
    await transport.shutdown();
    expect(received.map((r) => r.body.map((e) => e.message))).toEqual([["m0", "m1"], ["m2", "m3"], ["m4"]]);
    expect(received[0]?.headers.authorization).toBe("Bearer abc");
    expect(received[0]?.headers["content-type"]).toBe("application/json");
  });

  it("sends a partial batch after flushInterval, not before", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const bodies: string[] = [];
    const fakeFetch = vi.fn((_input: string | URL | Request, init?: RequestInit) => {
      bodies.push(init?.body as string);
      return Promise.resolve(new Response(null, { status: 204 }));
    });
    const transport = new RemoteTransport({ url, batchSize: 100, flushInterval: 500, fetch: fakeFetch });
    transport.log(entry(1), next);
    transport.log(entry(2), next);
    await vi.advanceTimersByTimeAsync(499);
    expect(fakeFetch).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fakeFetch).toHaveBeenCalledTimes(1);
    expect(JSON.parse(bodies[0] ?? "[]")).toEqual([entry(1), entry(2)]);
    await transport.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("fires the interval timer on its own", async () => {
    const transport = new RemoteTransport({ url, batchSize: 100, flushInterval: 5 });
    transport.log(entry(1), next);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await transport.shutdown();
  });

  it("reports a failing collector once, drops and counts, and recovers", async () => {
    const errors: string[] = [];
    const transport = new RemoteTransport({
      url,
      batchSize: 1,
      onError: (error) => errors.push(error.message),
    });
    status = 503;
    transport.log(entry(1), next);
    transport.log(entry(2), next);
    await transport.flush();
    expect(errors).toEqual(["collector answered HTTP 503"]);
    expect(transport.droppedEntries).toBe(2);
    status = 200;
    transport.log(entry(3), next);
    await transport.flush();
    status = 500;
    transport.log(entry(4), next);
    await transport.shutdown();
    expect(errors).toHaveLength(2);
  });

  it("reports an unreachable collector without throwing", async () => {
    const errors: Error[] = [];
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    const transport = new RemoteTransport({ url, batchSize: 1, onError: (error) => errors.push(error) });
    transport.log(entry(1), next);
    await transport.shutdown();
    expect(errors).toHaveLength(1);
    server = createServer();
    server.listen(0, "127.0.0.1");
  });

  it("drops the oldest entries past maxQueue", async () => {
    const transport = new RemoteTransport({ url, batchSize: 100, maxQueue: 3 });
    for (let i = 0; i < 5; i += 1) transport.log(entry(i), next);
    await transport.shutdown();
    expect(received[0]?.body.map((e) => e.message)).toEqual(["m2", "m3", "m4"]);
    expect(transport.droppedEntries).toBe(2);
  });

  it("is reachable from loggingConfig as a remote destination and drains on close", async () => {
    const logger = createInfrastructureLogger({
      destinations: [{ type: "remote", config: { url, batchSize: 10, headers: { "x-tenant": "t1" } } }],
    });
    logger.info("first", { apiKey: "k" });
    logger.warn("second");
    await logger.close();
    expect(received).toHaveLength(1);
    expect(received[0]?.headers["x-tenant"]).toBe("t1");
    expect(received[0]?.body).toMatchObject([
      { message: "first", metadata: { apiKey: "[REDACTED]" } },
      { message: "second" },
    ]);
  });
});
