import type * as NodeCrypto from "node:crypto";
import { InfrastructureError } from "@espada/infra-core";
import { httpGet } from "./http.js";

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

/** How to fetch one artifact. */
export interface ArtifactRequest {
  readonly url: URL;
  readonly integrity: string;
  readonly timeoutMs: number;
  /** Headers of the registry; sent only when the artifact is on the index's origin. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/**
 * Downloads an artifact and verifies its sha512 integrity before anything uses it.
 * @throws `DISCOVERY_FAILED` when the download fails or the bytes do not match (`field: "artifact.integrity"`).
 */
export async function fetchVerifiedArtifact(request: ArtifactRequest): Promise<Buffer> {
  const result = await httpGet(request.url, {
    timeoutMs: request.timeoutMs,
    maxBytes: MAX_ARTIFACT_BYTES,
    headers: request.headers,
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  if (!result.ok) {
    throw new InfrastructureError(
      "DISCOVERY_FAILED",
      `could not download artifact ${request.url.href}: ${result.reason}`,
      { field: "artifact.url" },
    );
  }
  if (!matchesIntegrity(result.body, request.integrity)) {
    throw new InfrastructureError(
      "DISCOVERY_FAILED",
      `artifact ${request.url.href} does not match its sha512 integrity; refused`,
      {
        field: "artifact.integrity",
      },
    );
  }
  return result.body;
}

/**
 * Imports verified module bytes from a `data:` URL, so nothing can swap the file between the check
 * and the import. The module must be self-contained (it may import `node:` built-ins only).
 */
export function importModuleBytes(bytes: Buffer): Promise<unknown> {
  return import(`data:text/javascript;base64,${bytes.toString("base64")}`) as Promise<unknown>;
}
