import { z } from "zod";
import { deferred } from "../deferredSchema.js";

// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Schema of `commandConfig.validation`. */
export const commandValidationConfigSchema = deferred(() =>
  z.strictObject({
    strict: z.boolean().default(true).describe("Unknown parameters are errors (true) or warnings (false)."),
    allowDryRun: z.boolean().default(true).describe("Dry-run requests are allowed at all."),
    requireConfirmation: z
      .boolean()
      .default(false)
      .describe("Every non-dry-run command needs explicit confirmation."),
    dangerousCommandsRequireExplicit: z
      .boolean()
      .default(true)
      .describe("Commands declared `dangerous` need explicit confirmation."),
  }),
);
/** Command validation settings (what `InfrastructureCommandValidator` enforces). */
export type CommandValidationConfig = z.infer<typeof commandValidationConfigSchema>;
