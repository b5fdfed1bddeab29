import { z } from "zod";

/** Settings of a local-cloud instance (`providers[].settings`). */
export const localCloudSettingsSchema = z.strictObject({
  /** Directory holding every bucket, database, instance record and snapshot. */
  stateDir: z.string().min(1, "stateDir must name a directory"),
  /** Grace period between SIGTERM and SIGKILL when a replica is stopped (ms). */
  stopGraceMs: z.number().int().positive().max(600_000).default(5_000),
  /** How long a health ping of a replica may take (ms). */
  pingTimeoutMs: z.number().int().positive().max(600_000).default(2_000),
});

/** Parsed settings (defaults filled). */
export type LocalCloudSettings = z.infer<typeof localCloudSettingsSchema>;

/** Settings as given (defaults optional). */
export type LocalCloudSettingsInput = z.input<typeof localCloudSettingsSchema>;
