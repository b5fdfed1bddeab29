import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loads, meta, providerModule, startServer } from "../test/fixtures.js";
import type { TestServer } from "../test/fixtures.js";
import { InfrastructurePluginDiscoverer } from "./discoverer.js";
import { computeIntegrity, matchesIntegrity } from "./remote.js";

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await server.close();
});

const factoryOptions = { instanceId: "r-1", settings: {}, logger: undefined as never };

function entry(
  id: string,
  version: string,
  artifact: string,
  integrity: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: `${id}-plugin`,
    version,
    frameworkVersion: "*",
    artifact: { url: artifact, integrity },
    providers: [{ meta: meta(id, { version }) }],
    ...extra,
  };
}

const remote = (
  registries: { url: string; timeout?: number; headers?: Record<string, string> }[],
  config: Record<string, unknown> = {},
): InfrastructurePluginDiscoverer =>
  new InfrastructurePluginDiscoverer({
    config: { installedDirs: [], remoteRegistries: registries, ...config },
  });

describe("remote plugin indexes", () => {
  it("lists plugins from the index without downloading anything, then downloads, verifies and imports on first use", async () => {
    const bytes = Buffer.from(providerModule(meta("remote-ok", { version: "1.1.0" })));
    server.route("/artifacts/ok.mjs", { body: bytes, headers: { "content-type": "text/javascript" } });
    server.route("/index.json", {
      body: JSON.stringify({
        plugins: [
          entry("remote-ok", "1.0.0", "/artifacts/old.mjs", computeIntegrity(Buffer.from("old"))),
          entry("remote-ok", "1.1.0", "artifacts/ok.mjs", computeIntegrity(bytes)),
        ],
      }),
    });
    const d = remote([{ url: `${server.url}/index.json`, headers: { authorization: "Bearer t0ken" } }]);
    const found = await d.discover();
    expect(found.problems).toEqual([
      expect.objectContaining({
        source: "remote",
        message: expect.stringMatching(/"remote-ok" 1\.0\.0 is shadowed by 1\.1\.0/),
      }),
    ]);
    expect(found.providers).toHaveLength(1);
    const provider = found.providers[0]!;
    expect(provider).toMatchObject({
      source: "remote",
      entry: `${server.url}/artifacts/ok.mjs`,
      plugin: { name: "remote-ok-plugin", version: "1.1.0" },
    });
    expect(server.requests.map((r) => r.url)).toEqual(["/index.json"]);
    expect(loads("remote-ok")).toBe(0);

    const created = await provider.factory(factoryOptions);
    expect(created.meta).toMatchObject({ id: "remote-ok", version: "1.1.0" });
    expect(loads("remote-ok")).toBe(1);
    await provider.factory(factoryOptions);
    expect(server.requests.map((r) => r.url)).toEqual(["/index.json", "/artifacts/ok.mjs"]);
    // The registry's headers go to its own origin (index and same-origin artifacts).
    expect(server.requests.every((r) => r.headers.authorization === "Bearer t0ken")).toBe(true);
    d.close();
  });

  it("refuses an artifact whose bytes do not match its sha512 integrity; nothing is imported", async () => {
    const genuine = Buffer.from(providerModule(meta("tampered")));
    const served = Buffer.from(providerModule(meta("tampered")).replace("healthy", "HACKED"));
    server.route("/t.mjs", { body: served });
    server.route("/index.json", {
      body: JSON.stringify({ plugins: [entry("tampered", "1.0.0", "/t.mjs", computeIntegrity(genuine))] }),
    });
    const found = await remote([{ url: `${server.url}/index.json` }]).discover();
    expect(found.problems).toEqual([]);
    await expect(found.providers[0]!.factory(factoryOptions)).rejects.toMatchObject({
      code: "DISCOVERY_FAILED",
      message: expect.stringMatching(/does not match its sha512 integrity; refused/),
      field: "artifact.integrity",
    });
    expect(loads("tampered")).toBe(0);
    // A failed download is not cached: once the right bytes are served, the next call succeeds.
    server.route("/t.mjs", { body: genuine });
    await expect(found.providers[0]!.factory(factoryOptions)).resolves.toMatchObject({
      meta: { id: "tampered" },
    });
  });

  it("turns an unreachable, failing or malformed index into a problem, never a failure of the whole discovery", async () => {
    const closed = await startServer();
    const deadUrl = `${closed.url}/index.json`;
    await closed.close();
    server.route("/500.json", { status: 500, body: "boom" });
    server.route("/bad.json", { body: "{ nope" });
    server.route("/shape.json", { body: JSON.stringify({ plugins: "all of them" }) });
    server.route("/entries.json", {
      body: JSON.stringify({
        plugins: [
          { name: "x" },
          entry("bad-int", "1.0.0", "/a.mjs", "sha256-abc"),
          entry("ftp-art", "1.0.0", "ftp://example.invalid/a.mjs", computeIntegrity(Buffer.from("a"))),
          entry("too-new", "1.0.0", "/a.mjs", computeIntegrity(Buffer.from("a")), {
            frameworkVersion: ">=50",
          }),
          entry("fine", "1.0.0", "/fine.mjs", computeIntegrity(Buffer.from("a"))),
        ],
      }),
    });
    const found = await remote([
      { url: deadUrl },
      { url: `${server.url}/500.json` },
      { url: `${server.url}/bad.json` },
      { url: `${server.url}/shape.json` },
      { url: `${server.url}/entries.json` },
    ]).discover();
    expect(found.providers.map((p) => p.meta.id)).toEqual(["fine"]);
    const messages = found.problems.map((p) => `${p.field ?? ""} ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^remoteRegistries\[0\]\.url remote index unreachable: .*ECONNREFUSED/),
        "remoteRegistries[1].url remote index unreachable: HTTP 500",
        expect.stringMatching(/^remoteRegistries\[2\]\.url remote index is not valid JSON/),
        expect.stringMatching(/^plugins /),
        expect.stringMatching(/^plugins\[0\]\.version /),
        expect.stringMatching(/^plugins\[1\]\.artifact\.integrity .*sha512/),
        expect.stringMatching(/^plugins\[2\]\.artifact\.url .*http or https/),
        expect.stringMatching(/^plugins\[3\]\.frameworkVersion .*needs framework >=50/),
      ]),
    );
  });

  it("gives up on an index that never answers after its timeout", async () => {
    const { createServer } = await import("node:http");
    const hanging = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    const port = (hanging.address() as { port: number }).port;
    const found = await remote([{ url: `http://127.0.0.1:${port}/index.json`, timeout: 50 }]).discover();
    expect(found.problems).toEqual([
      expect.objectContaining({ message: "remote index unreachable: timed out after 50 ms" }),
    ]);
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
  });

  it("follows redirects, sends the registry's headers to its own origin only, and leaves no timer behind", async () => {
    const other = await startServer();
    try {
      const bytes = Buffer.from(providerModule(meta("moved")));
      other.route("/moved.mjs", { body: bytes });
      server.route("/old-index.json", { status: 302, headers: { location: "/index.json" } });
      server.route("/index.json", {
        body: JSON.stringify({ plugins: [entry("moved", "1.0.0", "/go.mjs", computeIntegrity(bytes))] }),
      });
      server.route("/go.mjs", { status: 307, headers: { location: `${other.url}/moved.mjs` } });
      const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
      const d = remote([
        { url: `${server.url}/old-index.json`, headers: { authorization: "Bearer s3cret" } },
      ]);
      const found = await d.discover();
      expect(found.providers[0]).toMatchObject({ entry: `${server.url}/go.mjs` });
      await expect(found.providers[0]!.factory(factoryOptions)).resolves.toMatchObject({
        meta: { id: "moved" },
      });
      expect(server.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
        ["/old-index.json", "Bearer s3cret"],
        ["/index.json", "Bearer s3cret"],
        ["/go.mjs", "Bearer s3cret"],
      ]);
      expect(other.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
        ["/moved.mjs", undefined],
      ]);
      d.close();
      expect(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length).toBeLessThanOrEqual(
        timersBefore,
      );
    } finally {
      await other.close();
    }
  });

  it("matches and computes sha512 integrity strings", () => {
    const bytes = Buffer.from("hello");
    const integrity = computeIntegrity(bytes);
    expect(integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(matchesIntegrity(bytes, integrity)).toBe(true);
    expect(matchesIntegrity(Buffer.from("hellO"), integrity)).toBe(false);
    expect(matchesIntegrity(bytes, integrity.replace("sha512", "sha384"))).toBe(false);
    expect(matchesIntegrity(bytes, "sha512-AAAA")).toBe(false);
  });
});
