import { InfrastructureError } from "./errors.js";

/** Longest key (or log name) a `StateStore` accepts, in UTF-8 bytes (keeps a file store's encoded names under 255 bytes). */
export const MAX_STORE_KEY_BYTES = 180;

/** `String.prototype.isWellFormed` (ES2024, in Node 20; the lib here is ES2023). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/**
 * The one rule for a `StateStore` key or log name: a non-empty string of at most
 * {@link MAX_STORE_KEY_BYTES} UTF-8 bytes, well-formed Unicode. Throws `INVALID_ARGUMENT` naming `field` otherwise.
 */
export function assertStoreKey(key: unknown, field = "key"): asserts key is string {
  if (typeof key !== "string" || key.length === 0) {
    throw new InfrastructureError("INVALID_ARGUMENT", `${field} must be a non-empty string`, { field });
  }
  if (key.length * 3 > MAX_STORE_KEY_BYTES && Buffer.byteLength(key, "utf8") > MAX_STORE_KEY_BYTES) {
    throw new InfrastructureError(
      "INVALID_ARGUMENT",
      `${field} must be at most ${MAX_STORE_KEY_BYTES} UTF-8 bytes`,
      { field },
    );
  }
  // no lone surrogate (a regex here costs ten times more on the concatenated keys stores build)
  if (!(key as WellFormedCheck).isWellFormed()) {
    throw new InfrastructureError(
      "INVALID_ARGUMENT",
      `${field} must be well-formed Unicode (no lone surrogates)`,
      { field },
    );
  }
}
