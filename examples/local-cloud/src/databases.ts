import Database from "better-sqlite3";
import { rename } from "node:fs/promises";
import { LocalCloudError, throwIfAborted } from "./errors.js";
import { remove } from "./state.js";

const CORRUPT_CODES = new Set([
  "SQLITE_NOTADB",
  "SQLITE_CORRUPT",
  "SQLITE_CORRUPT_VTAB",
  "SQLITE_CORRUPT_SEQUENCE",
  "SQLITE_CORRUPT_INDEX",
]);
const MAX_ROWS = 200;

/** What one SQL statement returned. */
export type SqlResult =
  | { readonly kind: "rows"; readonly rows: readonly Record<string, unknown>[]; readonly truncated: boolean }
  | { readonly kind: "changes"; readonly changes: number };

/** Turns a better-sqlite3 error into a typed {@link LocalCloudError} (`DATABASE_CORRUPT` or `SQL_ERROR`). */
function sqliteFailure(error: unknown, database: string, file: string): LocalCloudError {
  if (error instanceof LocalCloudError) return error;
  const code = (error as { code?: unknown }).code;
  const sqliteCode = typeof code === "string" ? code : "UNKNOWN";
  const message = error instanceof Error ? error.message : String(error);
  if (CORRUPT_CODES.has(sqliteCode)) {
    return new LocalCloudError(
      "DATABASE_CORRUPT",
      `database "${database}" is corrupt (${message}); restore it from a snapshot`,
      { database, file, sqliteCode },
      { cause: error },
    );
  }
  return new LocalCloudError(
    "SQL_ERROR",
    `database "${database}": ${message}`,
    { database, sqliteCode },
    { cause: error },
  );
}

/** Opens `file`, runs `work`, always closes. Errors become typed. */
export function withDatabase<T>(
  database: string,
  file: string,
  options: { readonly?: boolean; create?: boolean },
  work: (db: Database.Database) => T,
): T {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: !(options.create ?? false),
    });
    db.pragma("busy_timeout = 2000");
    return work(db);
  } catch (error) {
    if ((error as { code?: unknown }).code === "SQLITE_CANTOPEN")
      throw new LocalCloudError("NOT_FOUND", `no database "${database}"`, { database }, { cause: error });
    throw sqliteFailure(error, database, file);
  } finally {
    db?.close();
  }
}

/** Creates a database file and runs its schema (in one transaction). The file appears complete or not at all. */
export async function createDatabaseFile(
  database: string,
  file: string,
  schema: string | undefined,
): Promise<{ tables: string[] }> {
  const temp = `${file}.creating-${process.pid}`;
  await remove(temp);
  try {
    const tables = withDatabase(database, temp, { create: true }, (db) => {
      db.pragma("journal_mode = DELETE");
      if (schema !== undefined && schema.trim() !== "") db.transaction(() => db.exec(schema))();
      return listTables(db);
    });
    await rename(temp, file);
    return { tables };
  } catch (error) {
    await remove(temp);
    throw error;
  }
}

/** Runs one statement: a query returns rows (at most 200), anything else the number of changed rows. */
export function runSql(
  database: string,
  file: string,
  sql: string,
  params: readonly unknown[] = [],
  options: { readonly?: boolean } = {},
): SqlResult {
  return withDatabase(database, file, { readonly: options.readonly ?? false }, (db) => {
    const stmt = db.prepare(sql);
    if (stmt.reader) {
      const rows: Record<string, unknown>[] = [];
      let truncated = false;
      for (const row of stmt.iterate(...params)) {
        if (rows.length === MAX_ROWS) {
          truncated = true;
          break;
        }
        rows.push(row as Record<string, unknown>);
      }
      return { kind: "rows", rows, truncated };
    }
    return { kind: "changes", changes: stmt.run(...params).changes };
  });
}

/** Tables and size of a database; throws `DATABASE_CORRUPT` for a file SQLite cannot read. */
export function describeDatabase(
  database: string,
  file: string,
): { tables: string[]; pageCount: number; integrity: string } {
  return withDatabase(database, file, { readonly: true }, (db) => {
    const integrity = String(db.pragma("quick_check", { simple: true }));
    if (integrity !== "ok")
      throw new LocalCloudError(
        "DATABASE_CORRUPT",
        `database "${database}" failed its integrity check: ${integrity}`,
        { database, file },
      );
    return {
      tables: listTables(db),
      pageCount: Number(db.pragma("page_count", { simple: true })),
      integrity,
    };
  });
}

/**
 * Copies a live database to `dest` with SQLite's online backup (consistent even while written),
 * reporting progress per step and stopping when `signal` aborts (the partial copy is removed).
 */
export async function backupDatabase(
  database: string,
  file: string,
  dest: string,
  signal: AbortSignal,
  onProgress: (percent: number) => void = () => undefined,
): Promise<void> {
  throwIfAborted(signal);
  const db = openOrThrow(database, file);
  try {
    await db.backup(dest, {
      progress({ totalPages, remainingPages }) {
        if (signal.aborted) throw new LocalCloudError("CANCELLED", "backup cancelled", { database });
        onProgress(totalPages === 0 ? 100 : Math.round(((totalPages - remainingPages) / totalPages) * 100));
        return 64;
      },
    });
    throwIfAborted(signal);
  } catch (error) {
    await remove(dest);
    throw sqliteFailure(error, database, file);
  } finally {
    db.close();
  }
}

function openOrThrow(database: string, file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma("schema_version"); // reads the header: a corrupt file fails here
    return db;
  } catch (error) {
    db?.close();
    if ((error as { code?: unknown }).code === "SQLITE_CANTOPEN")
      throw new LocalCloudError("NOT_FOUND", `no database "${database}"`, { database }, { cause: error });
    throw sqliteFailure(error, database, file);
  }
}

function listTables(db: Database.Database): string[] {
  return (
    db
      .prepare(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
      )
      .all() as { name: string }[]
  ).map((r) => r.name);
}
