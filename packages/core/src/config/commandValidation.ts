import { z } from "zod";
import { deferred } from "../deferredSchema.js";
import { described } from "./described.js";

// Built on first use (`deferred`): constructing zod schemas is most of what importing core would
// cost, and most importers never parse with most of them.
/** Schema of `commandConfig.validation`. */
export const commandValidationConfigSchema = deferred(
  () =>
    z.strictObject({
      strict: described(
        z.boolean().default(true),
        "Unknown parameters are errors (true) or warnings (false).",
      ),
      allowDryRun: described(z.boolean().default(true), "Dry-run requests are allowed at all."),
      requireConfirmation: described(
        z.boolean().default(false),
        "Every non-dry-run command needs explicit confirmation.",
      ),
      dangerousCommandsRequireExplicit: described(
        z.boolean().default(true),
        "Commands declared `dangerous` need explicit confirmation.",
      ),
    }),
  "core.commandValidationConfig",
);
/** Command validation settings (what `InfrastructureCommandValidator` enforces). */
export type CommandValidationConfig = z.infer<typeof commandValidationConfigSchema>;
