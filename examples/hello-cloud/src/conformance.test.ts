import { describe, it } from "vitest";
import { runProviderConformance } from "@espada/infra-sdk/testing";
import { factory } from "./provider.js";

// The spec's provider passes the SDK's conformance suite as the spec writes it.
runProviderConformance({ describe, it }, "the spec's provider conforms to the provider contract", {
  factory,
  auth: { method: "api-key", credentials: { apiKey: "hello-cloud-conformance-key" }, options: {} },
});
