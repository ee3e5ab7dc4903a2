import { MCP_SERVERS, MCP_SERVER_REGISTRY_KEY } from '../../actors/index.ts'
import type { ActorSystem, McpServerEntry, McpServerRegistryMsg } from '../../actors/index.ts'
import { SOURCE_NAME_PATTERN, checkServerRegistration, serverView } from '../../protocols/index.ts'
import type { McpServerRegistration, McpServerView } from '../../protocols/index.ts'
import { SERVER_REGISTRY_ASK_MS } from './constants.ts'
import { InvalidPluginRequestError } from './errors.ts'

/**
 * The admin's API for MCP servers registered for the whole cluster (the registry workstream's
 * routes call it): register, list, remove. Registrations live in the replicated entity
 * `mcp-servers/cluster`; every plugins-role member connects to each (ServerSync). What it shows
 * holds no secret (McpServerView).
 */
export class McpServers {
  readonly #system: Pick<ActorSystem, 'entity'>

  constructor (system: Pick<ActorSystem, 'entity'>) {
    this.#system = system
  }

  /** Registers a server (checked field by field: InvalidServerRegistrationError naming the field;
   * McpServerExistsError when one has its name and `replace` is not set). */
  async register (value: unknown, opts: { readonly replace?: boolean } = {}): Promise<McpServerView> {
    const registration = checkServerRegistration(value)
    const entry = await this.#ask<McpServerEntry>((replyTo) => ({ type: 'register', registration, replace: opts.replace === true, ts: Date.now(), replyTo }))
    return serverView(entry.registration)
  }

  /** Every registered server, without its secrets. */
  async list (): Promise<McpServerView[]> {
    return (await this.registrations()).map((r) => serverView(r))
  }

  /** Removes a server; whether there was one. */
  async remove (name: unknown): Promise<boolean> {
    if (typeof name !== 'string' || !new RegExp(SOURCE_NAME_PATTERN).test(name)) throw new InvalidPluginRequestError(`name: expected a server name matching ${SOURCE_NAME_PATTERN}`)
    return await this.#ask<boolean>((replyTo) => ({ type: 'remove', name, replyTo }))
  }

  /** Every registration with its secrets: for the members that connect, never for the API. */
  async registrations (): Promise<McpServerRegistration[]> {
    return (await this.#ask<McpServerEntry[]>((replyTo) => ({ type: 'list', replyTo }))).map((e) => e.registration)
  }

  async #ask<R> (build: (replyTo: never) => McpServerRegistryMsg): Promise<R> {
    return await this.#system.entity(MCP_SERVERS, MCP_SERVER_REGISTRY_KEY).ask<R>(build as never, { timeout: SERVER_REGISTRY_ASK_MS })
  }
}
