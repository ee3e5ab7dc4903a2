/**
 * The MCP conformance suite's client command (`conformance client --command "<node> <this file>"`):
 * the suite appends its test server's URL, names the scenario in MCP_CONFORMANCE_SCENARIO and,
 * for some, gives in MCP_CONFORMANCE_CONTEXT the credentials an admin would give when registering
 * the server. It does what Plexi's client does with an MCP server an admin registered over
 * streamable HTTP: connect (OAuth through the SDK when the server asks for it: dynamic
 * registration or the registration's pre-registered client, the authorization code with PKCE,
 * client credentials where the registration says so), list the tools, call each with arguments
 * made from its schema (as a model's call would be), close. Exits 0 when all of it went through.
 *
 * It runs the SDK's client configured as the plugin host configures it for a registered server
 * (node/plugins: Client without sampling, roots or elicitation; StreamableHTTPClientTransport with
 * an OAuthClientProvider). When the host's own code is on this branch, `connectServer` is what
 * to point at it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'

/** Authorizations one operation may go through (a first one, a step-up for more scope, one
 * more): a server that keeps refusing is given up on rather than looped on. */
const MAX_AUTHORIZATIONS = 3
/** Where the authorization server sends its code: the node's callback as an admin registered it
 * (never reached here: the code is read from the redirect). */
const REDIRECT_URL = 'http://localhost:7403/plugins/oauth/callback'

/** How the admin registered the server's credentials (from the scenario's context). */
type Registration =
  | { readonly kind: 'oauth', readonly clientId?: string, readonly clientSecret?: string }
  | { readonly kind: 'client-credentials', readonly clientId: string, readonly clientSecret: string }
  | { readonly kind: 'private-key-jwt', readonly clientId: string, readonly privateKey: string, readonly algorithm: string }

/**
 * An OAuth client for a node, which has no browser: the authorization URL is where an admin
 * would consent; here it is followed without one (the suite's authorization server consents at
 * once) and the code read from its redirect. Client information and tokens live in memory.
 */
class HeadlessOAuthProvider implements OAuthClientProvider {
  #client: OAuthClientInformationMixed | undefined
  #tokens: OAuthTokens | undefined
  #verifier: string | undefined
  code: string | undefined

  constructor (client?: OAuthClientInformationMixed) {
    this.#client = client
  }

  get redirectUrl (): string { return REDIRECT_URL }
  get clientMetadata (): OAuthClientMetadata {
    return { client_name: 'Plexi', redirect_uris: [REDIRECT_URL], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }
  }

  clientInformation (): OAuthClientInformationMixed | undefined { return this.#client }
  saveClientInformation (info: OAuthClientInformationMixed): void { this.#client = info }
  tokens (): OAuthTokens | undefined { return this.#tokens }
  saveTokens (tokens: OAuthTokens): void { this.#tokens = tokens }
  saveCodeVerifier (verifier: string): void { this.#verifier = verifier }
  codeVerifier (): string {
    if (this.#verifier === undefined) throw new Error('no PKCE code verifier saved')
    return this.#verifier
  }

  async redirectToAuthorization (url: URL): Promise<void> {
    const answer = await fetch(url, { redirect: 'manual' })
    const location = answer.headers.get('location')
    const code = location === null ? null : new URL(location).searchParams.get('code')
    if (code === null) throw new Error(`the authorization server gave no code (status ${answer.status})`)
    this.code = code
  }
}

function registrationOf (scenario: string, context: Record<string, unknown>): Registration {
  const str = (key: string): string => {
    const value = context[key]
    if (typeof value !== 'string') throw new Error(`the scenario's context has no ${key}`)
    return value
  }
  switch (scenario) {
    case 'auth/client-credentials-basic': return { kind: 'client-credentials', clientId: str('client_id'), clientSecret: str('client_secret') }
    case 'auth/client-credentials-jwt': return { kind: 'private-key-jwt', clientId: str('client_id'), privateKey: str('private_key_pem'), algorithm: typeof context.signing_algorithm === 'string' ? context.signing_algorithm : 'ES256' }
    case 'auth/pre-registration': return { kind: 'oauth', clientId: str('client_id'), clientSecret: str('client_secret') }
    default:
      if (scenario.startsWith('auth/cross-app-access')) throw new Error(`${scenario}: Plexi's client does not take identity-assertion grants`)
      return { kind: 'oauth' }
  }
}

function providerOf (registration: Registration): OAuthClientProvider {
  switch (registration.kind) {
    case 'client-credentials': return new ClientCredentialsProvider({ clientId: registration.clientId, clientSecret: registration.clientSecret })
    case 'private-key-jwt': return new PrivateKeyJwtProvider({ clientId: registration.clientId, privateKey: registration.privateKey, algorithm: registration.algorithm })
    case 'oauth': return new HeadlessOAuthProvider(registration.clientId === undefined ? undefined : { client_id: registration.clientId, ...(registration.clientSecret !== undefined && { client_secret: registration.clientSecret }), redirect_uris: [REDIRECT_URL] })
  }
}

/** The code an authorization just got (it is used once). */
function takeCode (provider: OAuthClientProvider): string | undefined {
  if (!(provider instanceof HeadlessOAuthProvider)) return undefined
  const code = provider.code
  provider.code = undefined
  return code
}

/** Runs `op`, finishing an authorization the server asked for (a step-up for more scope) and
 * trying again, at most MAX_AUTHORIZATIONS times. */
async function authorized<T> (provider: OAuthClientProvider, transport: StreamableHTTPClientTransport, op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op()
    } catch (err) {
      const code = takeCode(provider)
      if (!(err instanceof UnauthorizedError) || code === undefined || attempt >= MAX_AUTHORIZATIONS) throw err
      await transport.finishAuth(code)
    }
  }
}

/** Connects to a registered server as the plugin host does: a connect the server answers with
 * an authorization to finish is tried again, with new tokens, on a new transport. */
export async function connectServer (url: URL, registration: Registration): Promise<{ client: Client, transport: StreamableHTTPClientTransport, provider: OAuthClientProvider }> {
  const provider = providerOf(registration)
  for (let attempt = 1; ; attempt++) {
    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider })
    const client = new Client({ name: 'plexi', version: '0.1.0' }, { capabilities: {} })
    try {
      await client.connect(transport)
      return { client, transport, provider }
    } catch (err) {
      const code = takeCode(provider)
      if (err instanceof UnauthorizedError && code !== undefined && attempt < MAX_AUTHORIZATIONS) await transport.finishAuth(code)
      await client.close().catch(() => undefined)
      if (!(err instanceof UnauthorizedError) || code === undefined || attempt >= MAX_AUTHORIZATIONS) throw err
    }
  }
}

/** Arguments a model could give `tool`: each required property a value of its type. */
export function argumentsFor (tool: Tool): Record<string, unknown> {
  const schema = tool.inputSchema as { properties?: Record<string, { type?: unknown, enum?: unknown[] }>, required?: string[] }
  const args: Record<string, unknown> = {}
  for (const name of schema.required ?? []) {
    const property = schema.properties?.[name] ?? {}
    if (Array.isArray(property.enum) && property.enum.length > 0) args[name] = property.enum[0]
    else if (property.type === 'number' || property.type === 'integer') args[name] = Object.keys(args).length + 1
    else if (property.type === 'boolean') args[name] = true
    else if (property.type === 'array') args[name] = []
    else if (property.type === 'object') args[name] = {}
    else args[name] = 'plexi'
  }
  return args
}

async function main (): Promise<void> {
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? ''
  const url = process.argv[2]
  if (url === undefined) throw new Error('usage: mcp-conformance-client.ts <server-url> (MCP_CONFORMANCE_SCENARIO names the scenario)')
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Record<string, unknown>
  const { client, transport, provider } = await connectServer(new URL(url), registrationOf(scenario, context))
  const { tools } = await authorized(provider, transport, async () => await client.listTools())
  for (const tool of tools) {
    await authorized(provider, transport, async () => await client.callTool({ name: tool.name, arguments: argumentsFor(tool) }))
  }
  await transport.terminateSession().catch(() => undefined)
  await client.close()
}

if (import.meta.main) {
  main().then(() => { process.exit(0) }, (err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
