import { randomBytes } from "node:crypto";
import { z } from "zod";

/** A snapshot's metadata (`snapshots/<id>/meta.json`). */
export const snapshotMetaSchema = z.object({
  id: z.string(),
  resourceId: z.string(),
  kind: z.enum(["bucket", "instance", "database"]),
  name: z.string(),
  createdAt: z.number(),
  reason: z.string(),
  files: z.number().int().nonnegative().optional(),
  instance: z
    .object({ replicas: z.number().int().positive(), desired: z.enum(["running", "stopped"]) })
    .optional(),
});

/** A snapshot's metadata. */
export type SnapshotMeta = z.infer<typeof snapshotMetaSchema>;

/** How to undo one operation (`operations/<executionId>.json`). */
export const undoRecordSchema = z.object({
  executionId: z.string(),
  commandId: z.string(),
  resourceId: z.string(),
  at: z.number(),
  undo: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("restore"), snapshotId: z.string() }),
    z.object({ kind: z.literal("delete") }),
  ]),
  rolledBackAt: z.number().optional(),
});

/** How to undo one operation. */
export type UndoRecord = z.infer<typeof undoRecordSchema>;

/** A new snapshot id, sortable by time. */
export function newSnapshotId(now = Date.now()): string {
  return `snap-${now.toString(36)}-${randomBytes(3).toString("hex")}`;
}
