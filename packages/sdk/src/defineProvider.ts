import { providerMetaSchema, tieredSafeParse } from "@espada/infra-core/authoring";
import type {
  AuthMethod,
  ProviderCapability,
  ProviderCategory,
  ProviderMeta,
  ResourceType,
} from "@espada/infra-core";
import { schemaIssuesToError } from "./issues.js";

type MetaDraft = { -readonly [K in keyof ProviderMeta]?: ProviderMeta[K] };

/**
 * Fluent, immutable builder of a {@link ProviderMeta}: each call returns a new builder, `build()`
 * validates the whole meta against core's `providerMetaSchema`.
 */
export class ProviderBuilder {
  readonly #draft: Readonly<MetaDraft>;

  /** Starts from a partial meta; prefer {@link defineProvider}. */
  constructor(draft: Readonly<MetaDraft> = {}) {
    this.#draft = draft;
  }

  #with(patch: MetaDraft): ProviderBuilder {
    return new ProviderBuilder({ ...this.#draft, ...patch });
  }

  /** Unique lowercase kebab-case id (`my-cloud`). Required. */
  id(id: string): ProviderBuilder {
    return this.#with({ id });
  }
  /** Short name. Required. */
  name(name: string): ProviderBuilder {
    return this.#with({ name });
  }
  /** Name shown to people. Defaults to `name`. */
  displayName(displayName: string): ProviderBuilder {
    return this.#with({ displayName });
  }
  /** One-line description. */
  description(description: string): ProviderBuilder {
    return this.#with({ description });
  }
  /** Semantic version (`1.0.0`). Required. */
  version(version: string): ProviderBuilder {
    return this.#with({ version });
  }
  /** Provider category (`cloud`, `kubernetes`, …). Required. */
  category(category: ProviderCategory): ProviderBuilder {
    return this.#with({ category });
  }
  /** Capabilities the provider offers; repeated calls add to the list. */
  capabilities(...capabilities: ProviderCapability[]): ProviderBuilder {
    return this.#with({ capabilities: [...(this.#draft.capabilities ?? []), ...capabilities] });
  }
  /** Resource types the provider manages; repeated calls add to the list. */
  supportedResources(...resources: ResourceType[]): ProviderBuilder {
    return this.#with({ supportedResources: [...(this.#draft.supportedResources ?? []), ...resources] });
  }
  /** Authentication methods the provider accepts (at least one); repeated calls add to the list. */
  authMethods(...methods: AuthMethod[]): ProviderBuilder {
    return this.#with({ authMethods: [...(this.#draft.authMethods ?? []), ...methods] });
  }
  /** Author (person or organisation). */
  author(author: string): ProviderBuilder {
    return this.#with({ author });
  }
  /** Homepage or documentation URL. */
  homepage(homepage: string): ProviderBuilder {
    return this.#with({ homepage });
  }
  /** Free-form tags for search; repeated calls add to the list. */
  tags(...tags: string[]): ProviderBuilder {
    return this.#with({ tags: [...(this.#draft.tags ?? []), ...tags] });
  }

  /**
   * Validates and returns the meta.
   * @throws ValidationError naming every missing or invalid field (`id is required`).
   */
  build(): ProviderMeta {
    const draft = this.#draft;
    const input: MetaDraft = { ...draft };
    if (draft.displayName === undefined && draft.name !== undefined) input.displayName = draft.name;
    if (draft.capabilities) input.capabilities = unique(draft.capabilities);
    if (draft.supportedResources) input.supportedResources = unique(draft.supportedResources);
    if (draft.authMethods) input.authMethods = unique(draft.authMethods);
    if (draft.tags) input.tags = unique(draft.tags);
    const parsed = tieredSafeParse(providerMetaSchema, input, { reportInput: true });
    if (!parsed.success) throw schemaIssuesToError("provider meta", parsed.error.issues);
    return parsed.data;
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/** Starts a provider meta builder: `defineProvider().id("my-cloud").name(…)….build()`. */
export function defineProvider(): ProviderBuilder {
  return new ProviderBuilder();
}
