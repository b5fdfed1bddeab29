import { z } from "zod";
import { isRecord, redactSecretText } from "@espada/infra-core";
import { ERROR_CATALOGUE, ERROR_CATEGORIES } from "./errorCatalogue.js";
import type { ErrorPattern } from "./errorCatalogue.js";

/** Schema of a humanized error (plain JSON). */
export const humanizedErrorSchema = z.object({
  category: z.enum(ERROR_CATEGORIES),
  /** The raw code, kept as given (also for an unknown error); `null` when there was none. */
  code: z.string().nullable(),
  /** One sentence for people. */
  explanation: z.string(),
  remediation: z.array(z.string()),
  retryable: z.boolean(),
  /** The catalogue entry that matched, `null` for an unknown error. */
  matched: z.string().nullable(),
  /** The first line of the raw message, secrets removed, at most 300 characters. */
  detail: z.string(),
});
/** A humanized error. */
export type HumanizedError = z.infer<typeof humanizedErrorSchema>;

/** Options of {@link InfrastructureErrorHumanizer}. */
export interface ErrorHumanizerOptions {
  /** Entries tried before the built-in catalogue (an operator's own error shapes). */
  readonly extraPatterns?: readonly ErrorPattern[];
}

const MAX_DETAIL = 300;

/** Pulls a code and a message out of anything thrown or returned (Error, CommandError, SDK errors, strings). */
function facts(error: unknown): { codes: string[]; message: string } {
  const codes: string[] = [];
  let message = "";
  const push = (v: unknown): void => {
    if (typeof v === "string" && v.length > 0 && v.length <= 100) codes.push(v);
    else if (typeof v === "number" && Number.isInteger(v)) codes.push(String(v));
  };
  if (typeof error === "string") message = error;
  else if (isRecord(error) || error instanceof Error) {
    const e = error as Record<string, unknown>;
    push(e["code"]);
    const inner = e["error"];
    if (isRecord(inner)) {
      push(inner["code"]);
      if (typeof inner["message"] === "string") message = inner["message"];
    }
    if (typeof e["name"] === "string" && e["name"] !== "Error") push(e["name"]);
    push(e["Code"]);
    push(e["reason"]);
    push(e["status"] !== undefined && typeof e["status"] === "string" ? e["status"] : undefined);
    push(e["statusCode"]);
    const meta = e["$metadata"];
    if (isRecord(meta)) push(meta["httpStatusCode"]);
    if (typeof e["message"] === "string" && e["message"].length > 0) message = e["message"];
    else if (typeof e["Message"] === "string") message = e["Message"];
    if (message === "" && e["cause"] !== undefined) return facts(e["cause"]);
  } else if (typeof error === "number" || typeof error === "boolean" || typeof error === "bigint")
    message = String(error);
  return { codes, message };
}

/**
 * `InfrastructureErrorHumanizer`: turns raw errors and stack traces (AWS, Azure, GCP, Kubernetes,
 * Terraform, network, TLS, DNS, auth, quota, throttling, timeouts) into a category, a one-sentence
 * explanation and remediation steps. An unknown error keeps its raw code; secrets in the message
 * are removed (core's `redactSecretText`) before anything is shown.
 */
export class InfrastructureErrorHumanizer {
  private readonly patterns: readonly ErrorPattern[];
  private readonly byCode = new Map<string, ErrorPattern>();

  constructor(options: ErrorHumanizerOptions = {}) {
    this.patterns = [...(options.extraPatterns ?? []), ...ERROR_CATALOGUE];
    for (const p of this.patterns)
      for (const c of p.codes ?? [])
        if (!this.byCode.has(c.toLowerCase())) this.byCode.set(c.toLowerCase(), p);
  }

  /** The catalogue in use (extra patterns first). */
  get catalogue(): readonly ErrorPattern[] {
    return this.patterns;
  }

  /** Humanizes anything thrown or returned. Never throws. */
  humanize(error: unknown): HumanizedError {
    let codes: string[] = [];
    let message = "";
    try {
      ({ codes, message } = facts(error));
    } catch {
      message = "";
    }
    const firstLine =
      message
        .split("\n")
        .find((l) => l.trim() !== "")
        ?.trim() ?? "";
    const detail = redactSecretText(firstLine).slice(0, MAX_DETAIL);
    let pattern: ErrorPattern | undefined;
    for (const c of codes) {
      pattern = this.byCode.get(c.toLowerCase());
      if (pattern !== undefined) break;
    }
    if (pattern === undefined && message !== "") {
      // Stack traces: match on the message part only.
      const text = message.split(/\n\s+at /)[0] ?? message;
      pattern = this.patterns.find((p) => p.message !== undefined && p.message.test(text));
      if (pattern === undefined) {
        // A code written into the message ("InstanceLimitExceeded: …").
        const lead = /^([A-Za-z][A-Za-z0-9_.]{2,60})[:\s]/.exec(text.trim())?.[1];
        if (lead !== undefined) pattern = this.byCode.get(lead.toLowerCase());
        if (pattern !== undefined) codes.push(lead ?? "");
      }
    }
    const code = codes[0] !== undefined ? redactSecretText(codes[0]) : null;
    if (pattern === undefined) {
      return {
        category: "unknown",
        code,
        explanation:
          detail === "" ? "The operation failed without saying why." : `The operation failed: ${detail}`,
        remediation: [
          "Check the provider's logs for this error.",
          "Retry once; if it fails again, report the error code.",
        ],
        retryable: false,
        matched: null,
        detail,
      };
    }
    return {
      category: pattern.category,
      code,
      explanation: pattern.explanation,
      remediation: [...pattern.remediation],
      retryable: pattern.retryable,
      matched: pattern.id,
      detail,
    };
  }

  /** A short text for chat: explanation, then numbered steps. */
  format(error: unknown): string {
    const h = this.humanize(error);
    const steps = h.remediation.map((s, i) => `${i + 1}. ${s}`).join("\n");
    return `${h.explanation}${h.code === null ? "" : ` (${h.code})`}\n${steps}`;
  }
}
