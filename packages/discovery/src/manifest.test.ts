import fc from "fast-check";
import semverValidRange from "semver/ranges/valid.js";
import { describe, expect, it } from "vitest";
import { meta } from "../test/fixtures.js";
import { pluginManifestSchema, remotePluginSchema } from "./manifest.js";

const INTEGRITY = `sha512-${"A".repeat(86)}==`;

/** Range-like strings: the pieces semver's grammar is made of, in any order, and arbitrary text. */
const rangeLike = fc.oneof(
  fc
    .array(
      fc.constantFrom(
        "^",
        "~",
        "~>",
        ">",
        ">=",
        "<",
        "<=",
        "=",
        "v",
        "0",
        "1",
        "2",
        "01",
        "99999999999999999",
        ".",
        "x",
        "X",
        "*",
        "-",
        "-0",
        "-rc.1",
        "+build",
        " ",
        " - ",
        "||",
        "\t",
      ),
      { maxLength: 12 },
    )
    .map((pieces) => pieces.join("")),
  fc.string({ maxLength: 24 }),
);

describe("frameworkVersion", () => {
  it("is accepted exactly when semver reads it as a range (property)", () => {
    fc.assert(
      fc.property(rangeLike, (range) => {
        const valid = semverValidRange(range) !== null;
        const local = pluginManifestSchema.safeParse({
          name: "p",
          version: "1.0.0",
          frameworkVersion: range,
          providers: [{ meta: meta("p"), entry: "./index.js" }],
        });
        const remote = remotePluginSchema.safeParse({
          name: "p",
          version: "1.0.0",
          frameworkVersion: range,
          artifact: { url: "/p.mjs", integrity: INTEGRITY },
          providers: [{ meta: meta("p") }],
        });
        expect(local.success).toBe(valid);
        expect(remote.success).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });
});
