import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { REDACTED } from "@espada/infra-core";
import { RecordingAuditSink, ScriptedGate } from "./support/gates.js";
import { API_KEY, INSTANCE_ID, useStackPerTest } from "./support/stack.js";
import type { Stack } from "./support/stack.js";

const SESSION_SECRET = "sess-cred-93b1f0aa7e55";
const LICENSE = "LICENSE-BLOB-5d0c2e8fa91b";

describe("secrets at rest and in logs", () => {
  const t = useStackPerTest();
  let stack: Stack | undefined;

  it("session credentials and secret params are encrypted at rest and never logged, yet come back intact after a restart", async () => {
    const audit = new RecordingAuditSink();
    // configure-instance waits for confirmation, so its params (with the secret) sit in the session on disk
    const gate = new ScriptedGate({ confirm: ["configure-instance"] });
    stack = await t.open({ gate, audit });
    const session = await stack.sessions.createSession({
      userId: "alice",
      providerId: "my-cloud",
      auth: { method: "api-key", credentials: { apiKey: SESSION_SECRET } },
    });

    // a run with a secret param: logged at trace level, history and audit keep it redacted
    const ran = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "configure-instance",
      sessionId: session.id,
      params: { instanceId: "i-1", licenseBlob: LICENSE },
      confirmed: true,
    });
    expect(ran.status).toBe("succeeded");
    expect(t.runs.at(-1)?.params.licenseBlob).toBe(LICENSE);

    // a secret param that fails validation is not echoed either
    const bad = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "configure-instance",
      sessionId: session.id,
      params: { instanceId: 7, licenseBlob: LICENSE },
    });
    expect(bad.status).toBe("invalid");
    expect(JSON.stringify(bad)).not.toContain(LICENSE);

    const pending = await stack.executor.execute({
      instanceId: INSTANCE_ID,
      commandId: "configure-instance",
      sessionId: session.id,
      params: { instanceId: "i-2", licenseBlob: LICENSE },
    });
    expect(pending.status).toBe("pending");
    if (pending.status !== "pending") return;

    const live = await stack.sessions.getSession(session.id);
    expect(live?.auth?.credentials).toEqual({ apiKey: SESSION_SECRET });
    expect(
      (await stack.sessions.getHistory(session.id)).every(
        (h) => h.params.licenseBlob === undefined || h.params.licenseBlob === REDACTED,
      ),
    ).toBe(true);
    expect(JSON.stringify(audit.records)).not.toContain(LICENSE);
    expect(JSON.stringify(audit.records)).not.toContain(SESSION_SECRET);

    await stack.close();
    stack = undefined;

    // nothing on disk holds a secret in clear: not the state dir, not the log file
    const everything = await t.workspace.readAll();
    expect(everything.length).toBeGreaterThan(0);
    expect(everything).toContain("Connecting with API key");
    expect(everything).toContain("configure-instance");
    for (const secret of [SESSION_SECRET, LICENSE, API_KEY]) expect(everything).not.toContain(secret);
    // the provider's careless debug line made it to the file, with the credentials redacted
    const log = await readFile(t.workspace.logFile, "utf8");
    expect(log).toContain("auth received");
    expect(log).toContain("running command configure-instance");
    expect(log).toContain(REDACTED);

    // after a restart the secrets decrypt and the pending run gets the real value
    stack = await t.open({ gate, audit });
    const reloaded = await stack.sessions.getSession(session.id);
    expect(reloaded?.auth?.credentials).toEqual({ apiKey: SESSION_SECRET });
    expect(reloaded?.pendingOperations.map((p) => p.params)).toEqual([
      { instanceId: "i-2", licenseBlob: LICENSE },
    ]);
    const resumed = await stack.executor.resume(session.id, pending.pending.id, { confirmed: true });
    expect(resumed.status).toBe("succeeded");
    expect(t.runs.at(-1)?.params).toEqual({ instanceId: "i-2", licenseBlob: LICENSE });
    await stack.close();
    stack = undefined;
    const afterResume = await t.workspace.readAll();
    for (const secret of [SESSION_SECRET, LICENSE, API_KEY]) expect(afterResume).not.toContain(secret);
  });

  it("a secret matched by a redact pattern is masked in log lines written by any package", async () => {
    stack = await t.open({ redactPatterns: ["ak-live-[A-Za-z0-9]+"] });
    stack.logger.child("host").info(`operator pasted ${API_KEY} into a message`);
    await stack.close();
    stack = undefined;
    const everything = await t.workspace.readAll();
    expect(everything).toContain("operator pasted");
    expect(everything).not.toContain(API_KEY);
  });
});
