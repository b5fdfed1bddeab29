import type { CommandDefinition } from "../commands.js";
import { compileCommand } from "./compile.js";
import { isRecord, setOwn } from "./record.js";
import type { CompiledCommand } from "./types.js";

/** What a sensitive value is replaced with. */
export const REDACTED = "[REDACTED]";

/** Names that look like secrets; undeclared params with such names are redacted too (defence in depth). */
const SENSITIVE_NAME = /passw(?:or)?d|passphrase|secret|token|api[-_]?key|credential|private[-_]?key|access[-_]?key|session[-_]?key/i;

/** Redacts with an already compiled command (the validator's hot path). */
export function redactCompiled(compiled: CompiledCommand, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(params)) {
    const value = params[key];
    const declared = compiled.byName.get(key);
    const sensitive = declared === undefined ? SENSITIVE_NAME.test(key) : declared.sensitive;
    setOwn(out, key, sensitive && value !== undefined ? REDACTED : value);
  }
  return out;
}

/**
 * A shallow copy of `params` fit for display, logs and audit: every parameter declared `sensitive`
 * or of type `secret` (and any undeclared key whose name looks like a secret) reads `"[REDACTED]"`.
 * A `params` that is not an object yields `{}`.
 */
export function redactParams(command: CommandDefinition, params: unknown): Record<string, unknown> {
  return isRecord(params) ? redactCompiled(compileCommand(command), params) : {};
}
