import type { CommandDefinition } from "../commands.js";
import { isSecretKey, REDACTED, redactSecrets } from "../secrets.js";
import { compileCommand } from "./compile.js";
import { isRecord, setOwn } from "./record.js";
import type { CompiledCommand } from "./types.js";

/**
 * Redacts with an already compiled command (the validator's hot path): a parameter declared
 * sensitive (or of type `secret`) or whose name is a secret key reads `"[REDACTED]"`; every other
 * value is copied with {@link redactSecrets}, so a secret nested in an object (`options.password`)
 * or an array is redacted too.
 */
export function redactCompiled(
  compiled: CompiledCommand,
  params: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(params)) {
    let value: unknown;
    try {
      value = params[key];
    } catch {
      setOwn(out, key, REDACTED);
      continue;
    }
    const sensitive = compiled.byName.get(key)?.sensitive === true || isSecretKey(key);
    setOwn(out, key, sensitive ? (value === undefined ? undefined : REDACTED) : redactSecrets(value));
  }
  return out;
}

/**
 * A copy of `params` fit for display, logs, history and audit: every parameter declared `sensitive`
 * or of type `secret`, and every value under a secret key at any depth ({@link isSecretKey}), reads
 * `"[REDACTED]"`. A `params` that is not an object yields `{}`.
 */
export function redactParams(command: CommandDefinition, params: unknown): Record<string, unknown> {
  return isRecord(params) ? redactCompiled(compileCommand(command), params) : {};
}
