import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as fs from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { EncryptionKeyring, ENCRYPTION_KEY_ENV, KEYRING_FILE } from "./keyring.js";
import type { StoreProblem } from "./problems.js";
import { fakeClock, cleanupAfterEach } from "../test/helpers.js";

const { dir } = cleanupAfterEach();
const DAY = 86_400_000;

describe("EncryptionKeyring", () => {
  it("generates a key once into the state directory with mode 0600", async () => {
    const d = dir();
    const a = await EncryptionKeyring.open({ directory: d, env: {} });
    expect(statSync(join(d, KEYRING_FILE)).mode & 0o777).toBe(0o600);
    const b = await EncryptionKeyring.open({ directory: d, env: {} });
    expect(b.activeKeyId).toBe(a.activeKeyId);
    const sealed = a.seal({ token: "s3cr3t" }, "ctx");
    expect(JSON.stringify(sealed)).not.toContain("s3cr3t");
    expect(sealed.kid).toBe(a.activeKeyId);
    expect(b.open(sealed, "ctx")).toEqual({ token: "s3cr3t" });
  });

  it("fsyncs the state directory after writing the keyring, so its rename survives a power loss", async () => {
    const d = dir();
    const opened: string[] = [];
    const open = fs.promises.open.bind(fs.promises);
    const spy = vi.spyOn(fs.promises, "open").mockImplementation((path, flags, mode) => {
      opened.push(`${String(path)} ${String(flags)}`);
      return open(path, flags, mode);
    });
    try {
      await EncryptionKeyring.open({ directory: d, env: {} });
    } finally {
      spy.mockRestore();
    }
    expect(opened).toContain(`${d} r`);
  });

  it("authenticates associated text given whole or in parts, any Unicode and any size, and refuses a change to it", async () => {
    const ring = await EncryptionKeyring.open({ directory: dir(), env: {} });
    const texts = [
      "",
      "plain",
      "ünïcödé ✓ 𝄞",
      "\ud800 lone surrogate",
      "x".repeat(400_000),
      "é".repeat(2_000),
    ];
    for (const a of texts) {
      for (const b of texts) {
        const sealed = ring.seal("v", "ctx", [a, b]);
        expect(ring.open(sealed, "ctx", `${a}\n${b}`)).toBe("v");
        expect(ring.open(sealed, "ctx", [a, b])).toBe("v");
        expect(() => ring.open(sealed, "ctx", [a, `${b}!`])).toThrow(
          expect.objectContaining({ code: "CRYPTO_FAILED" }) as Error,
        );
      }
    }
  });

  it("binds a sealed value to its context and detects tampering", async () => {
    const ring = await EncryptionKeyring.open({ directory: dir(), env: {} });
    const sealed = ring.seal("v", "session-a");
    expect(() => ring.open(sealed, "session-b")).toThrow(
      expect.objectContaining({ code: "CRYPTO_FAILED" }) as Error,
    );
    const data = Buffer.from(sealed.data, "base64");
    data[0] = (data[0] ?? 0) ^ 1;
    expect(() => ring.open({ ...sealed, data: data.toString("base64") }, "session-a")).toThrow(
      expect.objectContaining({ code: "CRYPTO_FAILED" }) as Error,
    );
  });

  it("rotates after keyRotationDays: the new key encrypts, old keys still decrypt", async () => {
    const d = dir();
    const clock = fakeClock();
    const first = await EncryptionKeyring.open({
      directory: d,
      env: {},
      now: clock.now,
      config: { keyRotationDays: 90 },
    });
    const old = first.seal("old", "c");
    clock.advance(89 * DAY);
    expect(await first.rotateIfDue()).toBe(false);
    clock.advance(DAY);
    const reopened = await EncryptionKeyring.open({
      directory: d,
      env: {},
      now: clock.now,
      config: { keyRotationDays: 90 },
    });
    expect(reopened.activeKeyId).not.toBe(first.activeKeyId);
    expect(reopened.keyIds).toHaveLength(2);
    expect(reopened.seal("new", "c").kid).toBe(reopened.activeKeyId);
    expect(reopened.open(old, "c")).toBe("old");
    expect(statSync(join(d, KEYRING_FILE)).mode & 0o777).toBe(0o600);
  });

  it("never seals with a rotated key before it is saved; a failed save keeps the current key", async () => {
    const d = dir();
    const clock = fakeClock();
    const ring = await EncryptionKeyring.open({
      directory: d,
      env: {},
      now: clock.now,
      config: { keyRotationDays: 90 },
    });
    const current = ring.activeKeyId;
    clock.advance(90 * DAY);
    rmSync(join(d, KEYRING_FILE));
    mkdirSync(join(d, KEYRING_FILE)); // the keyring file cannot be replaced: the save fails
    const rotation = ring.rotateIfDue();
    expect(ring.seal("meanwhile", "c").kid).toBe(current);
    await expect(rotation).rejects.toMatchObject({ code: "CRYPTO_FAILED" });
    expect(ring.activeKeyId).toBe(current);
    expect(ring.keyIds).toEqual([current]);
    rmSync(join(d, KEYRING_FILE), { recursive: true });
    const both = await Promise.all([ring.rotateIfDue(), ring.rotateIfDue()]);
    expect(both).toEqual([true, true]);
    expect(ring.keyIds).toHaveLength(2);
    const reopened = await EncryptionKeyring.open({ directory: d, env: {}, now: clock.now });
    expect(reopened.activeKeyId).toBe(ring.activeKeyId);
  });

  it("takes the key from config or the environment; a wrong key is CRYPTO_FAILED", async () => {
    const key = randomBytes(32).toString("base64");
    const fromEnv = await EncryptionKeyring.open({ env: { [ENCRYPTION_KEY_ENV]: key } });
    const fromConfig = await EncryptionKeyring.open({ env: {}, config: { key } });
    expect(fromConfig.activeKeyId).toBe(fromEnv.activeKeyId);
    const sealed = fromEnv.seal(1, "c");
    expect(fromConfig.open(sealed, "c")).toBe(1);
    const other = await EncryptionKeyring.open({
      env: {},
      config: { key: randomBytes(32).toString("base64") },
    });
    expect(() => other.open(sealed, "c")).toThrow(
      expect.objectContaining({ code: "CRYPTO_FAILED" }) as Error,
    );
    const rotated = await EncryptionKeyring.open({
      env: {},
      config: { key: randomBytes(32).toString("base64"), previousKeys: [key] },
    });
    expect(rotated.open(sealed, "c")).toBe(1);
  });

  it("refuses a malformed key without echoing it, and a missing key without a directory", async () => {
    const error: unknown = await EncryptionKeyring.open({
      env: {},
      config: { key: "not-a-real-key-SECRETVALUE" },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", field: "securityConfig.encryption.key" });
    expect(String((error as Error).message)).not.toContain("SECRETVALUE");
    await expect(EncryptionKeyring.open({ env: {} })).rejects.toMatchObject({ code: "CRYPTO_FAILED" });
  });

  it("tightens a keyring file created 0644 to 0600 on load and reports it once, without key material", async () => {
    const d = dir();
    const first = await EncryptionKeyring.open({ directory: d, env: {} });
    const path = join(d, KEYRING_FILE);
    const text = readFileSync(path, "utf8");
    rmSync(path);
    writeFileSync(path, text, { mode: 0o644 });
    fs.chmodSync(path, 0o644); // whatever the umask
    const problems: StoreProblem[] = [];
    const again = await EncryptionKeyring.open({ directory: d, env: {}, onProblem: (p) => problems.push(p) });
    expect(again.activeKeyId).toBe(first.activeKeyId);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      kind: "permissions",
      file: path,
      error: { code: "STORAGE_FAILED", details: { mode: "0644", tightened: true } },
    });
    const material = (JSON.parse(text) as { keys: { material: string }[] }).keys[0]?.material ?? "";
    expect(material).not.toBe("");
    expect(JSON.stringify(problems[0]) + (problems[0]?.error.message ?? "")).not.toContain(material);
    await EncryptionKeyring.open({ directory: d, env: {}, onProblem: (p) => problems.push(p) });
    expect(problems).toHaveLength(1);
  });

  it("reports a corrupt keyring as CRYPTO_FAILED", async () => {
    const d = dir();
    writeFileSync(join(d, KEYRING_FILE), "{nope");
    await expect(EncryptionKeyring.open({ directory: d, env: {} })).rejects.toMatchObject({
      code: "CRYPTO_FAILED",
    });
    expect(readFileSync(join(d, KEYRING_FILE), "utf8")).toBe("{nope");
  });
});
