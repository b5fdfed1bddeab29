import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runStandalone } from "./standalone.js";
import { SECRET, capture, createWorkspace } from "../../test/support/workspace.js";
import type { Workspace } from "../../test/support/workspace.js";

describe("espada-infra (standalone, yargs)", () => {
  let ws: Workspace;
  beforeEach(() => {
    ws = createWorkspace();
  });
  afterEach(() => {
    ws.remove();
  });

  async function run(
    argv: string[],
    env: Record<string, string> = {},
    tty = false,
  ): Promise<{ code: number; out: string; err: string; json: () => Record<string, unknown> }> {
    const io = capture(tty);
    const code = await runStandalone(argv, { io, cwd: ws.dir, env: { ...ws.env, ...env } });
    return {
      code,
      out: io.out(),
      err: io.err(),
      json: () => JSON.parse(io.out()) as Record<string, unknown>,
    };
  }

  it("providers: the spec's columns, from a discovered local plugin", async () => {
    const r = await run(["providers"]);
    expect(r.code).toBe(0);
    const [header, row] = r.out.trim().split("\n");
    expect(header).toMatch(/^NAME\s+ID\s+CATEGORY\s+VERSION\s+CAPABILITIES$/);
    expect(row).toMatch(/^Echo Cloud\s+echo\s+custom\s+1\.2\.0\s+provision,monitor$/);
    const json = await run(["providers", "--json"]);
    expect(json.json()).toMatchObject({
      ok: true,
      data: { providers: [{ id: "echo", meta: { version: "1.2.0" }, registeredAt: expect.any(Number) }] },
    });
  });

  it("instances and status: configured providers come up", async () => {
    const instances = await run(["instances"]);
    expect(instances.code).toBe(0);
    expect(instances.out).toMatch(/^INSTANCE\s+PROVIDER\s+STATE\s+HEALTH\s+CREATED/);
    expect(instances.out).toMatch(/echo\s+echo\s+active/);
    const status = await run(["status", "--json"]);
    expect(status.json()).toMatchObject({
      ok: true,
      data: { factories: 1, instances: 1, overallHealth: "healthy", health: { healthy: 1 } },
    });
    const text = await run(["status"]);
    expect(text.out).toContain("factories:  1");
    expect(text.out).toContain("health:     healthy healthy=1");
    // the last line ends with a newline (the shell prompt starts on a line of its own)
    expect(text.out).toMatch(/\nstate dir: {2}\S+\n$/);
  });

  it("a state directory owned by another opener: STORAGE_LOCKED with what to do, exit 1", async () => {
    const { FileStateStore } = await import("@espada/infra-sessions");
    const held = await FileStateStore.open({ directory: join(ws.dir, ".espada-infra", "security") });
    try {
      const r = await run(["audit", "tail"]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^error \[STORAGE_LOCKED\]: State directory .* is locked by process \d+/);
      expect(r.err).toContain("hint: another process (a running gateway?) owns this state directory");
      const json = await run(["audit", "tail", "--json"]);
      expect(json.json()).toMatchObject({ ok: false, error: { code: "STORAGE_LOCKED" } });
    } finally {
      await held.close();
    }
    expect((await run(["audit", "tail"])).code).toBe(0);
  });

  it("--lock-timeout waits for a locked state directory, and refuses a bad number with exit 2", async () => {
    const { FileStateStore } = await import("@espada/infra-sessions");
    const held = await FileStateStore.open({ directory: join(ws.dir, ".espada-infra", "security") });
    let settled = false;
    const waiting = run(["audit", "tail", "--lock-timeout", "600"]).finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await held.close();
    expect(await waiting).toMatchObject({ code: 0, err: "" });
    for (const bad of ["--lock-timeout=-1", "--lock-timeout=soon", "--lock-timeout=1e12"]) {
      const r = await run(["audit", "tail", bad]);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.err).toMatch(/^error: --lock-timeout: expected a number of seconds from 0 to \d+\n/);
    }
  });

  it("discover reports what it registered", async () => {
    const r = await run(["discover", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      data: { registered: [{ id: "echo", source: "local", plugin: "echo-plugin" }], problems: [] },
    });
  });

  it("exec: typed params, dry run, history and audit", async () => {
    const r = await run(["exec", "echo", "say", "--param", "text=hi", "--param", "times=2", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ ok: true, data: { status: "succeeded", data: { said: "hi hi" } } });
    const dry = await run(["exec", "echo", "create-thing", "--param", "name=box", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('"wouldCreate": "box"');
    const sessions = await run(["sessions", "--json"]);
    expect((sessions.json().data as { sessions: unknown[] }).sessions).toHaveLength(1);
    const audit = await run(["audit", "tail", "--json"]);
    const types = (audit.json().data as { records: { type: string }[] }).records.map((x) => x.type);
    expect(types).toContain("operation_requested");
    const verify = await run(["audit", "verify"]);
    expect(verify.code).toBe(0);
    expect(verify.out).toMatch(/audit log intact: \d+ record/);
  });

  it("exec refusals: denied user, invalid params, unknown provider — exit 1 with a typed error", async () => {
    const denied = await run(["exec", "echo", "say", "--param", "text=hi", "--user", "mallory"]);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/^error \[SECURITY_DENIED\]/m);
    const invalid = await run(["exec", "echo", "say", "--param", "times=9", "--json"]);
    expect(invalid.code).toBe(1);
    expect(invalid.json()).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    const issues = (invalid.json().error as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(["params.text", "params.times"]));
    const unknown = await run(["exec", "ecko", "say"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('did you mean "echo"');
  });

  it("a dangerous command waits for confirmation, --yes runs it", async () => {
    const asked = await run(["exec", "echo", "drop-thing", "--param", "thing=box"]);
    expect(asked.code).toBe(0);
    expect(asked.out).toContain("waiting for confirmation");
    const done = await run(["exec", "echo", "drop-thing", "--param", "thing=box", "--yes", "--json"]);
    expect(done.json()).toMatchObject({ data: { status: "succeeded", data: { dropped: "box" } } });
  });

  it("approvals: production change waits; another user approves and it runs exactly once", async () => {
    const asked = await run([
      "exec",
      "echo",
      "create-thing",
      "--param",
      "name=prod-box",
      "--env",
      "production",
      "--json",
    ]);
    expect(asked.code).toBe(0);
    const pending = (asked.json().data as { pending: { approvalId: string } }).pending;
    expect(pending.approvalId).toEqual(expect.any(String));
    const list = await run(["approvals", "list", "--status", "pending", "--json"]);
    expect((list.json().data as { approvals: { id: string }[] }).approvals.map((a) => a.id)).toEqual([
      pending.approvalId,
    ]);
    const self = await run(["approvals", "approve", pending.approvalId]);
    expect(self.code).toBe(1); // the requester never approves
    const approved = await run(["approvals", "approve", pending.approvalId, "--user", "bob", "--json"]);
    expect(approved.code).toBe(0);
    expect(approved.json()).toMatchObject({
      data: {
        approval: { status: "approved" },
        operation: { status: "succeeded", data: { created: "prod-box" } },
      },
    });
    const again = await run(["approvals", "approve", pending.approvalId, "--user", "bob"]);
    expect(again.code).toBe(1);
    const sessions = await run(["sessions", "--json"]);
    expect(JSON.stringify(sessions.json())).not.toContain(pending.approvalId);
  });

  it("approvals reject needs a reason and refuses the waiting operation", async () => {
    const asked = await run([
      "exec",
      "echo",
      "create-thing",
      "--param",
      "name=x1",
      "--env",
      "production",
      "--json",
    ]);
    const id = (asked.json().data as { pending: { approvalId: string } }).pending.approvalId;
    const noReason = await run(["approvals", "reject", id, "--user", "bob"]);
    expect(noReason.code).toBe(1);
    const rejected = await run(["approvals", "reject", id, "--user", "bob", "--reason", "not now", "--json"]);
    expect(rejected.code).toBe(0);
    expect(rejected.json()).toMatchObject({
      data: { approval: { status: "rejected" }, operation: { status: "denied" } },
    });
  });

  it("break-glass activate and deactivate", async () => {
    const opened = await run([
      "break-glass",
      "activate",
      "--env",
      "production",
      "--reason-code",
      "incident",
      "--justification",
      "database down, restoring service",
      "--json",
    ]);
    expect(opened.code).toBe(0);
    const id = (opened.json().data as { session: { id: string } }).session.id;
    const closed = await run(["break-glass", "deactivate", id]);
    expect(closed.code).toBe(0);
    const bad = await run([
      "break-glass",
      "activate",
      "--env",
      "production",
      "--reason-code",
      "boredom",
      "--justification",
      "x",
    ]);
    expect(bad.code).toBe(1);
  });

  it("chat runs through the pipeline", async () => {
    const r = await run(["chat", "say hello", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      ok: true,
      data: { replies: [expect.objectContaining({ kind: expect.any(String) })] },
    });
  });

  it("usage errors exit 2 with a message, never a stack trace", async () => {
    for (const argv of [
      ["bogus"],
      ["exec", "echo"],
      ["status", "--nope"],
      ["exec", "echo", "say", "--param", "novalue"],
      ["approvals"],
      ["audit", "tail", "--limit", "-3"],
      ["break-glass", "activate", "--env", "production"],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err, argv.join(" ")).toMatch(/error/);
      expect(r.err + r.out).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
  });

  it("help and completion exit 0", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("espada-infra exec <provider> <command>");
    const completion = await run(["completion"]);
    expect(completion.code).toBe(0);
    expect(completion.out).toContain("espada-infra");
  });

  it("a command's --help prints its help and runs nothing", async () => {
    for (const argv of [
      ["status", "--help"],
      ["approvals", "approve", "--help"],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBe(0);
      expect(r.out, argv.join(" ")).toContain(`espada-infra ${argv.slice(0, -1).join(" ")}`);
      expect(r.out, argv.join(" ")).not.toMatch(/instances:|overallHealth/);
    }
  });

  it("an invalid espada.yaml is a typed error with file and line, exit 1", async () => {
    const bad = createWorkspace("    sesionConfig: { timeout: 5 }\n");
    try {
      const io = capture();
      const code = await runStandalone(["status"], { io, cwd: bad.dir, env: bad.env });
      expect(code).toBe(1);
      expect(io.err()).toMatch(/espada\.yaml:\d+:\d+/);
      expect(io.err()).toContain('did you mean "sessionConfig"');
    } finally {
      bad.remove();
    }
  });

  it("no secret reaches any output, --json included", async () => {
    const outputs: string[] = [];
    for (const argv of [
      ["exec", "echo", "leak"],
      ["exec", "echo", "leak", "--json"],
      ["status", "--json"],
      ["instances", "--json"],
      ["audit", "tail", "--json"],
      ["exec", "echo", "rotate", "--param", `token=${SECRET}`, "--json"],
      ["sessions", "--json"],
      ["audit", "tail", "--limit", "50", "--json"],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(" ")).toBeLessThan(2);
      outputs.push(r.out, r.err);
    }
    expect(outputs.join("\n")).not.toContain(SECRET);
  });

  it("shows progress on a TTY and nothing with --json", async () => {
    const tty = await run(["exec", "echo", "create-thing", "--param", "name=p1"], {}, true);
    expect(tty.err).toContain("half way");
    const json = await run(["exec", "echo", "create-thing", "--param", "name=p2", "--json"], {}, true);
    expect(json.err).toBe("");
  });
});
