import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { CommandDefinition } from "@espada/infra-core";
import { InfrastructureParameterExtractor, extractionSchema } from "./index.js";

const NOW = Date.UTC(2026, 2, 10, 15, 0, 0); // Tuesday 15:00 UTC
const extractor = new InfrastructureParameterExtractor({ now: () => NOW });

describe("InfrastructureParameterExtractor", () => {
  it("reads environment, region, count, sizes, names and types", () => {
    expect(
      extractor.extract("spin up 3 servers in prod in us-east-1", { operation: "create" }).values,
    ).toEqual({ count: 3, resourceType: "compute", environment: "production", region: "us-east-1" });
    expect(extractor.extract("I need a vm with 4 cpus and 16gb of ram").values).toMatchObject({
      cpu: 4,
      memoryMiB: 16384,
      resourceType: "compute",
    });
    expect(extractor.extract("allocate a 500gb volume").values).toMatchObject({
      diskGiB: 500,
      resourceType: "storage",
    });
    expect(extractor.extract('make me an s3 bucket "user-uploads"').values).toMatchObject({
      name: "user-uploads",
      resourceType: "storage",
    });
    expect(extractor.extract("create a database named orders").values).toMatchObject({
      name: "orders",
      resourceType: "database",
    });
    expect(extractor.extract("delete web-7 and web-8").values).toMatchObject({
      names: ["web-7", "web-8"],
      resourceType: "compute",
    });
    expect(extractor.extract("terminate i-0a1b2c3d4e5f67890").values).toMatchObject({
      resourceId: "i-0a1b2c3d4e5f67890",
      resourceType: "compute",
    });
    expect(extractor.extract("launch a t3.large instance").values).toMatchObject({
      instanceType: "t3.large",
    });
    expect(extractor.extract("add 2 more nodes to the cluster", { operation: "scale" }).values).toMatchObject(
      { countDelta: 2 },
    );
    expect(extractor.extract("move the servers from prod to staging").values).toMatchObject({
      environment: "staging",
      sourceEnvironment: "production",
    });
    expect(
      extractor.extract("give alice read access to the bucket", { operation: "grant-access" }).values,
    ).toMatchObject({ principal: "alice", accessLevel: "read" });
  });

  it("reads times relative to the injected clock", () => {
    expect(extractor.extract("restart it tonight at 2am").values.at).toBe("2026-03-11T02:00:00.000Z");
    expect(extractor.extract("deploy in 30 minutes").values.at).toBe("2026-03-10T15:30:00.000Z");
    expect(extractor.extract("start the boxes tomorrow at 9am").values.at).toBe("2026-03-11T09:00:00.000Z");
    expect(extractor.extract("stop it at 6pm").values.at).toBe("2026-03-10T18:00:00.000Z");
    expect(extractor.extract("backup on saturday at 3am").values.at).toBe("2026-03-14T03:00:00.000Z");
    expect(extractor.extract("stop it for 2 hours").values.durationMs).toBe(7_200_000);
    expect(extractor.extract("logs from the last hour").values.periodMs).toBe(3_600_000);
  });

  it("reads wall-clock times in the operator's time zone, across a DST change", () => {
    // 2026-03-28 12:00 UTC = 13:00 in Berlin (CET); DST starts the next night at 02:00 → 03:00.
    const berlin = new InfrastructureParameterExtractor({
      now: () => Date.UTC(2026, 2, 28, 12),
      timeZone: "Europe/Berlin",
    });
    expect(berlin.extract("restart tonight at 11pm").values.at).toBe("2026-03-28T22:00:00.000Z");
    expect(berlin.extract("restart tomorrow at 9am").values.at).toBe("2026-03-29T07:00:00.000Z");
    expect(() => new InfrastructureParameterExtractor({ timeZone: "Mars/Olympus" })).toThrow(/timeZone/);
  });

  it("flags values it cannot settle", () => {
    const two = extractor.extract("stop the staging servers and start the prod ones");
    expect(two.ambiguities.map((a) => a.parameter)).toContain("environment");
    const size = extractor.extract("give it 16gb");
    expect(size.values.sizeGiB).toBe(16);
    expect(size.ambiguities[0]?.parameter).toBe("sizeGiB");
  });

  it("scale to N always yields count N; in N minutes always yields now + N minutes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 600 }), (n, minutes) => {
        expect(extractor.extract(`scale the web servers to ${n}`, { operation: "scale" }).values.count).toBe(
          n,
        );
        expect(extractor.extract(`restart web-1 in ${minutes} minutes`).values.at).toBe(
          new Date(NOW + minutes * 60_000).toISOString(),
        );
      }),
    );
  });

  it("never throws, and its output matches its schema", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .array(
              fc.constantFrom(
                "at",
                "2am",
                "in",
                "30",
                "minutes",
                "tonight",
                "16gb",
                "named",
                "'x'",
                "to",
                "5",
                "from",
                "prod",
                "staging",
                "by",
                "a",
              ),
              { maxLength: 10 },
            )
            .map((w) => w.join(" ")),
        ),
        (text) => {
          const e = extractor.extract(text);
          expect(extractionSchema.safeParse(e).success).toBe(true);
        },
      ),
    );
  });

  it("suggests defaults for missing required parameters", () => {
    const command = {
      id: "create-instance",
      name: "Create",
      description: "",
      category: "provision",
      requiredCapabilities: [],
      supportsDryRun: false,
      dangerous: false,
      examples: [],
      resourceTypes: ["compute"],
      parameters: [
        {
          name: "name",
          type: "string",
          description: "",
          required: true,
          sensitive: false,
          resourceType: "compute",
        },
        {
          name: "size",
          type: "string",
          description: "",
          required: true,
          sensitive: false,
          enum: ["small", "large"],
        },
        { name: "replicas", type: "number", description: "", required: true, sensitive: false, default: 1 },
        { name: "region", type: "string", description: "", required: false, sensitive: false },
      ],
    } satisfies CommandDefinition;
    const s = extractor.suggestDefaults(command, { size: "large" });
    expect(s.map((x) => x.parameter)).toEqual(["name", "replicas"]);
    expect(s[0]?.value).toBe("compute-20260310-1500");
    expect(s[1]?.value).toBe(1);
  });
});
