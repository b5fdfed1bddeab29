const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** Appends one key to a display path: `a` + `b` → `a.b`, `a` + 0 → `a[0]`, `a` + `x y` → `a["x y"]`. */
export function appendPath(base: string, key: PropertyKey): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const name = typeof key === "symbol" ? (key.description ?? "symbol") : key;
  if (IDENTIFIER.test(name)) return base === "" ? name : `${base}.${name}`;
  return `${base}[${JSON.stringify(name)}]`;
}

/** Formats a path of keys the way every issue names a field: `providers[0].auth.method`. */
export function formatPath(path: readonly PropertyKey[], base = ""): string {
  let out = base;
  for (const key of path) out = appendPath(out, key);
  return out;
}
