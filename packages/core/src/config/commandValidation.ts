import { z } from "zod";

/** Schema of `commandConfig.validation`. */
export const commandValidationConfigSchema = z.strictObject({
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
});
/** Command validation settings (what `InfrastructureCommandValidator` enforces). */
export type CommandValidationConfig = z.infer<typeof commandValidationConfigSchema>;
