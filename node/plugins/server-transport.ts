import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { McpServerRegistration } from '../../protocols/index.ts'
import { HeadlessOAuthProvider } from './headless-oauth.ts'
import type { Incarnation } from './source-supervisor.ts'

/**
 * One connection to a registered streamable HTTP server: the SDK's transport, authenticated as
 * the registration says (a bearer token; OAuth client credentials, or the authorization code
 * flow followed headless, both through the SDK's client auth, tokens kept in memory). When the
 * SDK stops a request for an authorization (a first 401, a 403 asking for more scope), the code
 * the headless provider got is exchanged (`finishAuth`) and the request sent again, once.
 * Errors leave with every secret the connection holds replaced by `***`.
 */
export function httpIncarnation (reg: McpServerRegistration): Incarnation {
  const t = reg.transport
  if (t.kind !== 'http') throw new Error(`${reg.name} is not an HTTP server`)
  const auth = t.auth
  const secrets: string[] = []
  let provider: OAuthClientProvider | undefined
  const requestInit: RequestInit = {}
  if (auth?.kind === 'token') {
    requestInit.headers = { authorization: `Bearer ${auth.token}` }
    secrets.push(auth.token)
  } else if (auth?.kind === 'client-credentials') {
    provider = new ClientCredentialsProvider({ clientId: auth.clientId, clientSecret: auth.clientSecret, clientName: 'Plexi', ...(auth.scope !== undefined && { scope: auth.scope }), ...(auth.issuer !== undefined && { expectedIssuer: auth.issuer }) })
    secrets.push(auth.clientSecret)
  } else if (auth?.kind === 'oauth') {
    provider = new HeadlessOAuthProvider(auth)
    if (auth.clientSecret !== undefined) secrets.push(auth.clientSecret)
  }
  const transport = new AuthorizingTransport(new URL(t.url), provider, requestInit, secrets)
  return { transport }
}

class AuthorizingTransport extends StreamableHTTPClientTransport {
  readonly #provider: OAuthClientProvider | undefined
  readonly #secrets: readonly string[]

  constructor (url: URL, provider: OAuthClientProvider | undefined, requestInit: RequestInit, secrets: readonly string[]) {
    super(url, { ...(provider !== undefined && { authProvider: provider }), requestInit })
    this.#provider = provider
    this.#secrets = secrets
  }

  override async send (message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await super.send(message, options)
    } catch (err) {
      const code = this.#provider instanceof HeadlessOAuthProvider ? this.#provider.takeCode() : undefined
      if (!(err instanceof UnauthorizedError) || code === undefined) throw this.#scrubbed(err)
      try {
        await this.finishAuth(code)
        await super.send(message, options)
      } catch (again) {
        throw this.#scrubbed(again)
      }
    }
  }

  /** `err` with every secret this connection holds out of its message. */
  #scrubbed (err: unknown): Error {
    const secrets = [...this.#secrets, ...(this.#provider instanceof HeadlessOAuthProvider ? this.#provider.secrets() : [])]
    const tokens = (this.#provider as { tokens?: () => unknown } | undefined)?.tokens?.()
    if (typeof tokens === 'object' && tokens !== null) {
      for (const key of ['access_token', 'refresh_token']) {
        const v = (tokens as Record<string, unknown>)[key]
        if (typeof v === 'string') secrets.push(v)
      }
    }
    let message = err instanceof Error ? err.message : String(err)
    for (const s of secrets) if (s.length >= 8) message = message.replaceAll(s, '***')
    const out = new Error(message)
    out.name = err instanceof Error ? err.name : 'Error'
    return out
  }
}
