import type * as NodeCrypto from "node:crypto";

/**
 * `node:crypto`, loaded on first use: only remote plugins are hashed, and loading the module costs a
 * CLI start ~5 ms (nothing else on the `status` path loads it).
 */
const nodeCrypto = (): typeof NodeCrypto => process.getBuiltinModule("node:crypto");

/** Largest remote index accepted, in bytes. */
export const MAX_INDEX_BYTES = 16 * 1024 * 1024;
/** Largest remote artifact accepted, in bytes. */
export const MAX_ARTIFACT_BYTES = 32 * 1024 * 1024;

/** True when `bytes` hash to the `sha512-<base64>` integrity string (constant-time compare). */
export function matchesIntegrity(bytes: Uint8Array, integrity: string): boolean {
  if (!integrity.startsWith("sha512-")) return false;
  const expected = Buffer.from(integrity.slice("sha512-".length), "base64");
  const { createHash, timingSafeEqual } = nodeCrypto();
  const actual = createHash("sha512").update(bytes).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The `sha512-<base64>` integrity string of `bytes`. */
export function computeIntegrity(bytes: Uint8Array): string {
  return `sha512-${nodeCrypto().createHash("sha512").update(bytes).digest("base64")}`;
}
