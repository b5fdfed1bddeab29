import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import plugin from "../index.js";
import { PluginRuntime } from "../plugin.js";
import { CLI_DESCRIPTORS, addInfraCommands } from "./commander.js";
import { createFakeHost } from "../../test/support/fakeHost.js";
import { SECRET, capture, createWorkspace } from "../../test/support/workspace.js";
import type { Workspace } from "../../test/support/workspace.js";

class Exit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

describe("infra commands on the host's commander program", () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = createWorkspace();
  });
  afterEach(() => {
    ws.remove();
  });

  function hostConfig(): Record<string, unknown> {
    return {
      providers: [{ id: "echo", auth: { method: "api-key", credentials: { apiKey: SECRET } } }],
      discoveryConfig: { installedDirs: [], localDirs: [join(ws.dir, "plugins")] },
      loggingConfig: { level: "error" },
      securityConfig: { policies: { assignments: [{ userId: "ann", roleId: "sre" }] } },
    };
  }

  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const host = createFakeHost(hostConfig(), join(ws.dir, "host-state"));
    const runtime = new PluginRuntime(host.api);
    const io = capture();
    let code = 0;
    const program = new Command("openclaw")
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    addInfraCommands(program, {
      openFramework: () => runtime.openFramework(),
      io,
      env: { ESPADA_INFRA_USER: "ann" },
      setExitCode: (c) => (code = c),
      exit: (c) => {
        throw new Exit(c);
      },
    });
    try {
      await program.parseAsync(argv, { from: "user" });
    } catch (error) {
      if (error instanceof Exit) code = error.code;
      else throw error;
    }
    return { code, out: io.out(), err: io.err() };
  }

  it("register() hands the host a registrar and descriptors for `infra`", () => {
    const host = createFakeHost(hostConfig());
    plugin.register(host.api);
    expect(host.cli).toHaveLength(1);
    expect(host.cli[0]?.commands).toEqual(["infra"]);
    const program = new Command("openclaw");
    void host.cli[0]?.registrar({ program });
    const infra = program.commands.find((c) => c.name() === "infra");
    expect(infra?.commands.map((c) => c.name())).toEqual([
      "providers",
      "instances",
      "status",
      "discover",
      "exec",
      "sessions",
      "approvals",
      "break-glass",
      "audit",
      "chat",
    ]);
    expect(CLI_DESCRIPTORS).toEqual([
      { name: "infra", description: expect.any(String), hasSubcommands: true },
    ]);
  });

  it("providers / instances / status / discover print what the standalone CLI prints", async () => {
    const providers = await run(["infra", "providers"]);
    expect(providers.code).toBe(0);
    expect(providers.out).toMatch(/Echo Cloud\s+echo\s+custom\s+1\.2\.0\s+provision,monitor/);
    const instances = await run(["infra", "instances", "--json"]);
    expect(JSON.parse(instances.out)).toMatchObject({
      ok: true,
      data: { instances: [{ id: "echo", instanceId: "echo", state: "active" }] },
    });
    const status = await run(["infra", "status", "--no-health", "--json"]);
    expect(JSON.parse(status.out)).toMatchObject({
      data: { factories: 1, instances: 1, stateDir: join(ws.dir, "host-state", "infrastructure") },
    });
    const discover = await run(["infra", "discover", "--json"]);
    expect(JSON.parse(discover.out)).toMatchObject({ data: { registered: [{ id: "echo" }] } });
  });

  it("exec with repeated --param, state in the host's state dir, exit codes", async () => {
    const ok = await run(["infra", "exec", "echo", "say", "--param", "text=hi", "-p", "times=3", "--json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ data: { status: "succeeded", data: { said: "hi hi hi" } } });
    const denied = await run(["infra", "exec", "echo", "say", "--param", "text=hi", "--user", "mallory"]);
    expect(denied.code).toBe(1);
    expect(denied.err).toContain("[SECURITY_DENIED]");
    const leak = await run(["infra", "exec", "echo", "leak", "--json"]);
    expect(leak.code).toBe(1);
    expect(leak.out + leak.err).not.toContain(SECRET);
  });

  it("commander's own usage errors exit 2; a bad value exits 2 with a message", async () => {
    const missing = await run(["infra", "exec", "echo"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/missing required argument/);
    const unknown = await run(["infra", "status", "--bogus"]);
    expect(unknown.code).toBe(2);
    const badParam = await run(["infra", "exec", "echo", "say", "--param", "oops"]);
    expect(badParam.code).toBe(2);
    expect(badParam.err).toContain("must be key=value");
  });
});
