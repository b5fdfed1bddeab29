import picomatch from "picomatch";

/** A compiled set of glob patterns over ids (`*` also crosses `/`, as in an ARN). */
export type IdMatcher = (id: string) => boolean;

/** Compiles glob patterns (`*-prod-*`, `db-?`) for ids; `*` matches any run of characters, `/` included. */
export function compileGlob(pattern: string): IdMatcher {
  return picomatch(pattern, { bash: true, dot: true, nobrace: false });
}
