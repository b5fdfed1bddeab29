// The parity rule between core's zod config schema (the oracle) and a host's JSON Schema check of the
// manifest's configSchema, shared by the unit property test (TypeBox, as the host compiles it) and the
// end-to-end test (the host's own validator). Erasable TypeScript, so Node 24 imports it unchanged.
//
// - zod accepts  ⇒ the host accepts (a config we accept is never refused by the host);
// - zod refuses with a structural issue (wrong type, unknown key, missing key, out of range, bad enum,
//   bad pattern or length…) ⇒ the host refuses;
// - zod refuses with refinement issues only (code "custom": an IANA time zone, a regex that compiles,
//   an http(s) URL scheme, start before end, duplicate provider ids, a defaultProvider that exists,
//   policy references) ⇒ either: JSON Schema cannot say these; the plugin refuses such a config with
//   a typed error naming the field when the service starts or a command runs.

/** One zod issue, as much as the rule reads. */
export interface ZodIssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly format?: string;
}

/** The result of a zod `safeParse`. */
export type ZodResultLike =
  | { readonly success: true }
  | { readonly success: false; readonly error: { readonly issues: readonly ZodIssueLike[] } };

/** Issues JSON Schema can express: every code but a refinement's, and a URL's scheme check. */
export function structuralIssues(issues: readonly ZodIssueLike[]): ZodIssueLike[] {
  return issues.filter(
    (issue) => issue.code !== "custom" && !(issue.code === "invalid_format" && issue.format === "url"),
  );
}

/** Null when zod's verdict and the host's agree under the rule above, else why not. */
export function parityViolation(value: unknown, zod: ZodResultLike, hostAccepts: boolean): string | null {
  if (zod.success) return hostAccepts ? null : `zod accepts but the host refuses ${JSON.stringify(value)}`;
  const structural = structuralIssues(zod.error.issues);
  if (structural.length > 0 && hostAccepts)
    return `the host accepts but zod refuses (${structural.map((i) => `${i.path.map(String).join(".")}: ${i.code} ${i.message}`).join("; ")}) ${JSON.stringify(value)}`;
  return null;
}

/** Counts of what a run exercised, so a run that never reached a branch shows it. */
export interface ParityTally {
  zodAccepted: number;
  structurallyRefused: number;
  refinementOnly: number;
}

/** Adds one verdict to `tally`. */
export function tallyVerdict(tally: ParityTally, zod: ZodResultLike): void {
  if (zod.success) tally.zodAccepted += 1;
  else if (structuralIssues(zod.error.issues).length > 0) tally.structurallyRefused += 1;
  else tally.refinementOnly += 1;
}
