import { toValidationIssues } from "@espada/infra-core/authoring";
import type { ValidationIssue } from "@espada/infra-core";

/**
 * The schema a provider's settings are parsed with: a zod 4 schema (`z.object({ region: z.string() })`),
 * or anything with zod's `safeParse`. `S` is what the callbacks receive.
 */
export interface SettingsSchema<S> {
  /** Parses raw settings; zod's `safeParse`. */
  safeParse(
    input: unknown,
    params?: { readonly reportInput?: boolean },
  ):
    | { readonly success: true; readonly data: S }
    | {
        readonly success: false;
        readonly error: { readonly issues: Parameters<typeof toValidationIssues>[0] };
      };
}

/** Settings of a provider without a `settings` schema: the raw object it was given. */
export type RawSettings = Readonly<Record<string, unknown>>;

/**
 * Parses raw settings with `schema`; without a schema the raw object is the settings (anything
 * else than an object becomes `{}`). Issue paths are relative to the settings (`region`).
 */
export function parseSettings<S>(
  schema: SettingsSchema<S> | undefined,
  raw: unknown,
): { readonly ok: true; readonly value: S } | { readonly ok: false; readonly issues: ValidationIssue[] } {
  if (schema === undefined) {
    const value = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? raw : {};
    return { ok: true, value: value as S };
  }
  const parsed = schema.safeParse(raw, { reportInput: true });
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, issues: toValidationIssues(parsed.error.issues) };
}
