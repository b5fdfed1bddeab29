import { createCipheriv, createDecipheriv, createHash, randomBytes, randomFillSync } from "node:crypto";
import * as fs from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  encryptionConfigSchema,
  InfrastructureError,
  StorageError,
  ValidationError,
} from "@espada/infra-core";
import type { JsonValue } from "@espada/infra-core";
import { parseOptions } from "./problems.js";
import type { ProblemListener } from "./problems.js";
import { writeFileAtomically } from "./durableWrite.js";

/** The environment variable an encryption key (base64 of 32 bytes) is read from. */
export const ENCRYPTION_KEY_ENV = "ESPADA_INFRA_ENCRYPTION_KEY";
/** The keyring file generated into a state directory (mode 0600). */
export const KEYRING_FILE = "keyring.json";
const DAY_MS = 86_400_000;

/**
 * The keyring's options: core's `securityConfig.encryption` schema itself (`key`, `previousKeys`
 * and the rest are defined there, so a config core accepts is one the keyring accepts).
 */
export const keyringConfigSchema = encryptionConfigSchema;
/** {@link keyringConfigSchema} after defaults. */
export type KeyringConfig = z.output<typeof keyringConfigSchema>;

/** An encrypted JSON value as stored: algorithm, key id, IV, auth tag and ciphertext (base64). */
export const sealedValueSchema = z.object({
  alg: z.literal("aes-256-gcm"),
  kid: z.string().min(1),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
});
/** An encrypted JSON value as stored. */
export type SealedValue = z.infer<typeof sealedValueSchema>;

const keyringFileSchema = z.object({
  format: z.literal("espada-keyring"),
  v: z.literal(1),
  keys: z.array(z.object({ id: z.string().min(1), createdAt: z.number(), material: z.string() })),
});

interface Key {
  readonly id: string;
  readonly createdAt: number;
  readonly material: Buffer;
  readonly generated: boolean;
}

function cryptoError(message: string, cause?: unknown): InfrastructureError {
  return new InfrastructureError("CRYPTO_FAILED", message, cause === undefined ? {} : { cause });
}

function decodeKey(text: string, field: string): Buffer {
  const material = Buffer.from(text, "base64");
  if (
    material.length !== 32 ||
    material.toString("base64").replace(/=+$/, "") !== text.trim().replace(/=+$/, "")
  ) {
    // never echo the value: it is a secret
    throw new ValidationError(`${field} must be the base64 encoding of 32 bytes`, [
      { code: "INVALID_KEY", message: "must be base64 of 32 bytes", path: field },
    ]);
  }
  return material;
}

const idOf = (material: Buffer): string =>
  `k-${createHash("sha256").update(material).digest("hex").slice(0, 16)}`;

/** Options of {@link EncryptionKeyring.open}. */
export interface KeyringOptions {
  /** `securityConfig.encryption` plus the key options of {@link keyringConfigSchema} (defaults applied). */
  readonly config?: z.input<typeof keyringConfigSchema>;
  /** The state directory the keyring file lives in; without it a configured or environment key is required. */
  readonly directory?: string;
  /** Environment to read {@link ENCRYPTION_KEY_ENV} from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Clock (epoch ms). */
  readonly now?: () => number;
  /** Told (once per open) when the keyring file was readable by others and has been tightened to 0600. */
  readonly onProblem?: ProblemListener;
}

/**
 * The AES-256-GCM keys of a state directory. The encrypting key comes from config, else from
 * {@link ENCRYPTION_KEY_ENV}, else from a keyring file generated once into the state directory
 * (mode 0600) and extended with a new key every `keyRotationDays`. Every sealed value names its key
 * id, so values sealed with an older key still open. Key material never appears in errors or logs.
 */
export class EncryptionKeyring {
  private readonly keys = new Map<string, Key>();
  private active: Key;
  private readonly directory: string | undefined;
  private readonly rotationMs: number;
  private readonly now: () => number;
  /** The rotation in progress: concurrent callers share it, so one new key is made. */
  private rotating: Promise<boolean> | undefined;

  private constructor(
    active: Key,
    others: readonly Key[],
    directory: string | undefined,
    rotationMs: number,
    now: () => number,
  ) {
    for (const key of [...others, active]) this.keys.set(key.id, key);
    this.active = active;
    this.directory = directory;
    this.rotationMs = rotationMs;
    this.now = now;
  }

  /** The id of the key new values are sealed with. */
  get activeKeyId(): string {
    return this.active.id;
  }

  /** True when the key `id` is in the ring (a value sealed with it can be opened). */
  hasKey(id: string): boolean {
    return this.keys.has(id);
  }

  /** Ids of every key that can open values. */
  get keyIds(): readonly string[] {
    return [...this.keys.keys()];
  }

  /** Loads (or generates) the keys; rotates a generated key that is due. */
  static async open(options: KeyringOptions = {}): Promise<EncryptionKeyring> {
    const config = parseOptions(keyringConfigSchema, options.config ?? {}, "securityConfig.encryption");
    const now = options.now ?? (() => Date.now());
    const env = options.env ?? process.env;
    const others: Key[] = (config.previousKeys ?? []).map((text, i) => {
      const material = decodeKey(text, `securityConfig.encryption.previousKeys[${i}]`);
      return { id: idOf(material), createdAt: 0, material, generated: false };
    });
    const stored =
      options.directory === undefined
        ? []
        : readKeyring(join(options.directory, KEYRING_FILE), options.onProblem);
    others.push(...stored);
    const explicit = config.key ?? env[ENCRYPTION_KEY_ENV];
    const field = config.key === undefined ? ENCRYPTION_KEY_ENV : "securityConfig.encryption.key";
    let active: Key | undefined;
    if (explicit !== undefined && explicit !== "") {
      const material = decodeKey(explicit, field);
      active = { id: idOf(material), createdAt: now(), material, generated: false };
    } else if (stored.length > 0) {
      active = stored.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
    }
    const rotationMs = config.keyRotationDays * DAY_MS;
    if (active === undefined) {
      if (options.directory === undefined) {
        throw cryptoError(
          `No encryption key: set securityConfig.encryption.key or ${ENCRYPTION_KEY_ENV}, or give a state directory`,
        );
      }
      const ring = new EncryptionKeyring(generateKey(now()), others, options.directory, rotationMs, now);
      await ring.saveGenerated([...ring.keys.values()]);
      return ring;
    }
    const ring = new EncryptionKeyring(active, others, options.directory, rotationMs, now);
    await ring.rotateIfDue();
    return ring;
  }

  /**
   * Generates a new encrypting key when the active generated key is older than `keyRotationDays`.
   * The new key is written to the keyring file before anything is sealed with it (a value sealed
   * with a key that was never saved could not be opened after a restart); concurrent calls share
   * one rotation. When the save fails the current key stays active and the error is thrown.
   */
  rotateIfDue(): Promise<boolean> {
    if (!this.active.generated || this.now() - this.active.createdAt < this.rotationMs)
      return Promise.resolve(false);
    this.rotating ??= this.rotate().finally(() => {
      this.rotating = undefined;
    });
    return this.rotating;
  }

  private async rotate(): Promise<boolean> {
    const next = generateKey(this.now());
    await this.saveGenerated([...this.keys.values(), next]);
    this.keys.set(next.id, next);
    this.active = next;
    return true;
  }

  /**
   * Encrypts a JSON value with the active key, bound to `context` (e.g. the session id) and, when
   * given, to `associated` text (or parts of it, joined by newlines) that is authenticated but not encrypted (opening fails unless the
   * very same text is given again).
   */
  seal(value: JsonValue, context: string, associated?: AssociatedText): SealedValue {
    const iv = nextIv();
    const cipher = createCipheriv("aes-256-gcm", this.active.material, iv);
    cipher.setAAD(aadOf(context, associated));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    return {
      alg: "aes-256-gcm",
      kid: this.active.id,
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      data: data.toString("base64"),
    };
  }

  /**
   * Decrypts a sealed value; `CRYPTO_FAILED` when its key is unknown, the context or the
   * associated text differs, or it was tampered with.
   */
  open(sealed: unknown, context: string, associated?: AssociatedText): JsonValue {
    if (!isSealedValue(sealed)) throw cryptoError(`Encrypted value of "${context}" is malformed`);
    const key = this.keys.get(sealed.kid);
    if (key === undefined)
      throw cryptoError(`No key "${sealed.kid}" to decrypt "${context}" (wrong or missing key)`);
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.material, Buffer.from(sealed.iv, "base64"));
      decipher.setAAD(scratchAad(context, associated));
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      const plain = decipher.update(Buffer.from(sealed.data, "base64"));
      decipher.final(); // verifies the tag (GCM yields no bytes here): throws when it does not match
      return JSON.parse(plain.toString("utf8")) as JsonValue;
    } catch (error) {
      throw cryptoError(
        `Could not decrypt "${context}" with key "${key.id}" (wrong key or tampered data)`,
        error,
      );
    }
  }

  /** Writes the generated ones of `keys` durably: temp file + fsync + rename, then a directory fsync so the rename survives a power loss. */
  private async saveGenerated(keys: readonly Key[]): Promise<void> {
    if (this.directory === undefined) return;
    const generated = keys.filter((k) => k.generated);
    const body = {
      format: "espada-keyring",
      v: 1,
      keys: generated.map((k) => ({
        id: k.id,
        createdAt: k.createdAt,
        material: k.material.toString("base64"),
      })),
    };
    const path = join(this.directory, KEYRING_FILE);
    try {
      await writeFileAtomically(path, `${JSON.stringify(body)}\n`, { mode: 0o600 });
    } catch (error) {
      throw cryptoError(`Could not write the keyring in "${this.directory}"`, error);
    }
  }
}

/** Random bytes drawn ahead for IVs: one `randomFillSync` per 256 seals instead of a `randomBytes` call each. */
const ivPool = Buffer.allocUnsafe(12 * 256);
let ivOffset = ivPool.length;

/** A fresh random 96-bit IV (a view, consumed at once by `createCipheriv`; never handed out twice). */
function nextIv(): Buffer {
  if (ivOffset + 12 > ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + 12);
  ivOffset += 12;
  return iv;
}

/** Text authenticated with a sealed value: one string, or parts joined by newlines (no joined copy is made). */
export type AssociatedText = string | readonly string[];

/** The authenticated data of a sealed value: the context, then each part of the associated text, newline-separated. */
function aadOf(context: string, associated: AssociatedText | undefined): Buffer {
  const parts = associated === undefined ? [] : typeof associated === "string" ? [associated] : associated;
  return Buffer.from([context, ...parts].join("\n"), "utf8");
}

/** Reused by {@link scratchAad}: opening thousands of sessions at start allocates no buffer per session. */
let aadScratch = Buffer.allocUnsafe(16 * 1024);
const MAX_SCRATCH = 1024 * 1024;

/**
 * {@link aadOf} written into a reused buffer, part by part (the view is only valid until the next
 * call: `setAAD` consumes it at once). The same bytes as `aadOf`, so sealing and opening agree.
 */
function scratchAad(context: string, associated: AssociatedText | undefined): Buffer {
  const parts = associated === undefined ? [] : typeof associated === "string" ? [associated] : associated;
  let most = 3 * context.length; // UTF-8 bytes per UTF-16 unit: at most 3
  for (const part of parts) most += 1 + 3 * part.length;
  if (most > MAX_SCRATCH) return aadOf(context, associated); // a huge record: not kept around
  if (most > aadScratch.length) aadScratch = Buffer.allocUnsafe(Math.max(most, 2 * aadScratch.length));
  let n = aadScratch.write(context, 0, "utf8");
  for (const part of parts) {
    aadScratch[n++] = 0x0a;
    n += aadScratch.write(part, n, "utf8");
  }
  return aadScratch.subarray(0, n);
}

/**
 * True when `value` has the shape of {@link sealedValueSchema} (checked by hand: this runs once per
 * stored session on every start, and the schema's parse cost more than the decryption itself).
 */
export function isSealedValue(value: unknown): value is SealedValue {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v["alg"] === "aes-256-gcm" &&
    typeof v["kid"] === "string" &&
    v["kid"].length > 0 &&
    typeof v["iv"] === "string" &&
    typeof v["tag"] === "string" &&
    typeof v["data"] === "string"
  );
}

function generateKey(createdAt: number): Key {
  const material = randomBytes(32);
  return { id: idOf(material), createdAt, material, generated: true };
}

function readKeyring(path: string, onProblem: ProblemListener | undefined): Key[] {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw cryptoError(`Could not read the keyring "${path}"`, error);
  }
  tightenPermissions(path, onProblem);
  let parsed: z.infer<typeof keyringFileSchema>;
  try {
    parsed = keyringFileSchema.parse(JSON.parse(text));
  } catch {
    throw cryptoError(`The keyring "${path}" is corrupt or of an unknown format`);
  }
  return parsed.keys.map((k) => {
    const material = Buffer.from(k.material, "base64");
    if (material.length !== 32) throw cryptoError(`Key "${k.id}" in "${path}" is not 32 bytes`);
    return { id: k.id, createdAt: k.createdAt, material, generated: true };
  });
}

/**
 * Sets a keyring file that others may read or write (mode looser than 0600) back to 0600 and
 * reports it as a `permissions` problem; a chmod that fails is reported too (the keys still load).
 * The message names the file and the modes only, never key material. No-op on Windows (no POSIX modes).
 */
function tightenPermissions(path: string, onProblem: ProblemListener | undefined): void {
  if (process.platform === "win32") return;
  let mode: number;
  try {
    mode = fs.statSync(path).mode & 0o777;
  } catch (error) {
    throw cryptoError(`Could not read the keyring "${path}"`, error);
  }
  if ((mode & 0o077) === 0) return;
  const octal = `0${mode.toString(8)}`;
  let cause: unknown;
  try {
    fs.chmodSync(path, 0o600);
  } catch (error) {
    cause = error;
  }
  const tightened = cause === undefined;
  const message = tightened
    ? `The keyring "${path}" had mode ${octal} (readable by others); tightened it to 0600`
    : `The keyring "${path}" has mode ${octal} (readable by others) and could not be tightened to 0600`;
  const error = new StorageError("STORAGE_FAILED", message, {
    ...(tightened ? {} : { cause }),
    details: { kind: "permissions", file: path, mode: octal, tightened },
  });
  onProblem?.({ kind: "permissions", error, file: path });
}
