// The remote source: a registry's index fetched over HTTP, its entries checked, and each artifact
// downloaded and verified on first use. A separate module, imported by the discoverer only when a
// registry is configured: a CLI start without one does not compile it or the HTTP client.
import { InfrastructureError, toError } from "@espada/infra-core";
import type { DiscoveryProblem, PluginInfo, RemoteRegistryConfig } from "@espada/infra-core";
import type { DiscoveredPluginProvider } from "./discoverer.js";
import { httpGet } from "./http.js";
import { createLazyFactory } from "./lazyFactory.js";
import { remoteIndexSchema, remotePluginSchema } from "./manifest.js";
import { issueProblems, parseReporting } from "./problems.js";
import { MAX_ARTIFACT_BYTES, MAX_INDEX_BYTES, matchesIntegrity } from "./remote.js";

/** What a registry scan needs from the discoverer's run. */
export interface RemoteScan {
  /** The run's signal; it also stops artifact downloads (it aborts when the discoverer closes). */
  readonly signal: AbortSignal;
  /** Timeout of each request to this registry, in ms. */
  readonly timeoutMs: number;
  /** The framework version, for messages. */
  readonly frameworkVersion: string;
  /** Whether the framework version is in a plugin's `frameworkVersion` range. */
  readonly isCompatible: (range: string) => boolean;
  /** The run's problems, appended to. */
  readonly problems: DiscoveryProblem[];
  /** Takes a provider found, with its plugin's version. */
  readonly add: (provider: DiscoveredPluginProvider, pluginVersion: string) => void;
}

/**
 * Scans one remote registry: every problem (unreachable, not JSON, an invalid or incompatible
 * entry, a bad artifact URL, a provider declared twice) is appended to `scan.problems`, never thrown.
 */
export async function scanRemoteRegistry(
  registry: RemoteRegistryConfig,
  index: number,
  scan: RemoteScan,
): Promise<void> {
  const field = `remoteRegistries[${index}].url`;
  const { problems, timeoutMs } = scan;
  let indexUrl: URL;
  try {
    indexUrl = new URL(registry.url);
  } catch {
    problems.push({
      location: registry.url,
      source: "remote",
      message: "remote index URL is invalid",
      field,
    });
    return;
  }
  const location = indexUrl.href;
  const fetched = await httpGet(indexUrl, {
    timeoutMs,
    maxBytes: MAX_INDEX_BYTES,
    headers: registry.headers,
    signal: scan.signal,
  });
  if (!fetched.ok) {
    problems.push({
      location,
      source: "remote",
      message: `remote index unreachable: ${fetched.reason}`,
      field,
    });
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(fetched.body.toString("utf8"));
  } catch (error) {
    problems.push({
      location,
      source: "remote",
      message: `remote index is not valid JSON: ${toError(error).message}`,
      field,
    });
    return;
  }
  const parsedIndex = parseReporting(remoteIndexSchema, json);
  if (!parsedIndex.success) {
    problems.push(...issueProblems(remoteIndexSchema, parsedIndex.error.issues, "", location, "remote"));
    return;
  }
  const finalUrl = fetched.url;
  parsedIndex.data.plugins.forEach((raw, pluginIndex) => {
    const where = `${location}#plugins[${pluginIndex}]`;
    const parsed = parseReporting(remotePluginSchema, raw);
    if (!parsed.success) {
      problems.push(
        ...issueProblems(
          remotePluginSchema,
          parsed.error.issues,
          `plugins[${pluginIndex}]`,
          location,
          "remote",
        ),
      );
      return;
    }
    const entry = parsed.data;
    if (!scan.isCompatible(entry.frameworkVersion)) {
      problems.push({
        location: where,
        source: "remote",
        message: `plugin "${entry.name}" ${entry.version} needs framework ${entry.frameworkVersion}, this is ${scan.frameworkVersion}; skipped`,
        field: `plugins[${pluginIndex}].frameworkVersion`,
      });
      return;
    }
    let artifactUrl: URL;
    try {
      artifactUrl = new URL(entry.artifact.url, finalUrl);
    } catch {
      problems.push({
        location: where,
        source: "remote",
        message: "artifact URL is invalid",
        field: `plugins[${pluginIndex}].artifact.url`,
      });
      return;
    }
    if (artifactUrl.protocol !== "http:" && artifactUrl.protocol !== "https:") {
      problems.push({
        location: where,
        source: "remote",
        message: "artifact URL must be http or https",
        field: `plugins[${pluginIndex}].artifact.url`,
      });
      return;
    }
    const headers = artifactUrl.origin === indexUrl.origin ? registry.headers : {};
    const integrity = entry.artifact.integrity;
    let module: Promise<unknown> | undefined;
    const loadModule = (): Promise<unknown> => {
      module ??= fetchVerifiedArtifact({
        url: artifactUrl,
        integrity,
        timeoutMs,
        headers,
        signal: scan.signal,
      })
        .then(importModuleBytes)
        .catch((error: unknown) => {
          module = undefined;
          throw error;
        });
      return module;
    };
    const plugin: PluginInfo = { name: entry.name, version: entry.version, path: artifactUrl.href };
    const ids = new Set<string>();
    entry.providers.forEach((declared, providerIndex) => {
      if (ids.has(declared.meta.id)) {
        problems.push({
          location: where,
          source: "remote",
          message: `provider "${declared.meta.id}" is declared twice in this plugin`,
          field: `plugins[${pluginIndex}].providers[${providerIndex}].meta.id`,
        });
        return;
      }
      ids.add(declared.meta.id);
      const factory = createLazyFactory({
        meta: declared.meta,
        ...(declared.export === undefined ? {} : { exportName: declared.export }),
        location: artifactUrl.href,
        load: loadModule,
      });
      scan.add(
        { meta: declared.meta, factory, source: "remote", plugin, entry: artifactUrl.href, manifest: where },
        entry.version,
      );
    });
  });
}

/** How to fetch one artifact. */
interface ArtifactRequest {
  readonly url: URL;
  readonly integrity: string;
  readonly timeoutMs: number;
  /** Headers of the registry; sent only when the artifact is on the index's origin. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/**
 * Downloads an artifact and verifies its sha512 integrity before anything uses it.
 * @throws `DISCOVERY_FAILED` when the download fails or the bytes do not match (`field: "artifact.integrity"`).
 */
async function fetchVerifiedArtifact(request: ArtifactRequest): Promise<Buffer> {
  const result = await httpGet(request.url, {
    timeoutMs: request.timeoutMs,
    maxBytes: MAX_ARTIFACT_BYTES,
    headers: request.headers,
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
  if (!result.ok) {
    throw new InfrastructureError(
      "DISCOVERY_FAILED",
      `could not download artifact ${request.url.href}: ${result.reason}`,
      { field: "artifact.url" },
    );
  }
  if (!matchesIntegrity(result.body, request.integrity)) {
    throw new InfrastructureError(
      "DISCOVERY_FAILED",
      `artifact ${request.url.href} does not match its sha512 integrity; refused`,
      {
        field: "artifact.integrity",
      },
    );
  }
  return result.body;
}

/**
 * Imports verified module bytes from a `data:` URL, so nothing can swap the file between the check
 * and the import. The module must be self-contained (it may import `node:` built-ins only).
 */
function importModuleBytes(bytes: Buffer): Promise<unknown> {
  return import(`data:text/javascript;base64,${bytes.toString("base64")}`) as Promise<unknown>;
}
