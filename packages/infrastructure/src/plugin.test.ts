import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import plugin, { PLUGIN_ID, SERVICE_ID, configSchema } from "./index.js";
import { createFakeHost } from "../test/support/fakeHost.js";

describe("the plugin object", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "espada-plugin-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("has the shape hosts load: id, name, configSchema, synchronous register", () => {
    expect(plugin.id).toBe(PLUGIN_ID);
    expect(typeof plugin.name).toBe("string");
    const host = createFakeHost();
    expect(plugin.register(host.api)).toBeUndefined();
    expect(host.services.map((s) => s.id)).toEqual([SERVICE_ID]);
  });

  it("configSchema accepts exactly core's config and exposes its JSON Schema", () => {
    expect(configSchema.safeParse({ providers: [{ id: "kv-db" }] }).success).toBe(true);
    const bad = configSchema.safeParse({ sessionConfig: { timeout: "soon" } });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues[0]?.path).toEqual(["sessionConfig", "timeout"]);
    expect(configSchema.jsonSchema).toMatchObject({ type: "object" });
  });

  it("the service keeps state in <host state dir>/infrastructure and stops cleanly", async () => {
    const host = createFakeHost({ discoveryConfig: { enabled: false } });
    plugin.register(host.api);
    const service = host.services[0];
    if (service === undefined) throw new Error("no service");
    await service.start({ stateDir: dir });
    expect(host.logs.some((l) => l.level === "info" && l.message.includes("ready"))).toBe(true);
    await service.stop?.({ stateDir: dir });
    expect(await readdir(dir)).toEqual([]); // nothing used yet: nothing opened on disk
  });

  it("a service start with an invalid plugin config rejects with the field, and the host keeps running", async () => {
    const host = createFakeHost({ sessionConfig: { timeout: -5 } });
    plugin.register(host.api);
    await expect(host.services[0]?.start({ stateDir: dir })).rejects.toThrow(/sessionConfig\.timeout/);
  });
});
