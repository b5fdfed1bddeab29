import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

function start(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("../dist/main.js", import.meta.url))], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, out }));
  });
}

describe("hello-cloud: the spec's SDK example through the whole framework", () => {
  it("registers, starts, runs through the gate, denies, records, verifies the audit and shuts down", async () => {
    const { code, out } = await start();
    expect(code, out).toBe(0);
    expect(out).toContain("My Cloud (my-cloud 1.0.0, cloud): provision, deprovision, scale, monitor");
    // The spec's callbacks ran under the lifecycle manager, their log lines labelled with the instance.
    expect(out).toMatch(
      /hook beforeInit +my-cloud → uninitialized\n\s+log \S+ INFO +\[my-cloud-1\] Connecting with API key .*\n\s+hook afterInit +my-cloud → ready/,
    );
    expect(out).toMatch(/log \S+ INFO +\[my-cloud-1\] Provider started/);
    expect(out).toContain("instance my-cloud-1: active, health healthy");
    expect(out).toMatch(
      /create-instance web-1 in us-east-1 with 4 CPUs\n\s+→ succeeded \[risk [\d.]+\/100 \w+\] \{"instanceId":"i-123"\}/,
    );
    expect(out).toContain('params.region: parameter "region" is required');
    expect(out).toContain('did you mean "create-instance"?');
    expect(out).toMatch(/create-instance as bob\n\s+→ denied .*rbac: no role of "bob" grants infra:create/);
    expect(out).toContain("history: create-instance failed VALIDATION_FAILED");
    expect(out).toContain("audit: permission_granted, operation_requested, operation_completed");
    expect(out).toContain("audit chain verified: yes");
    expect(out).toMatch(/hook afterDestroy +my-cloud → terminated/);
  });
});
