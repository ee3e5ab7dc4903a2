import { randomBytes } from 'node:crypto'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'

/** Where the authorization server is told to send the code. Nothing listens there: the node reads
 * the code from the redirect's Location header itself. */
const REDIRECT_URL = 'http://127.0.0.1/plexi/oauth/callback'
/** Redirects followed within the authorization server before the one to REDIRECT_URL. */
const MAX_HOPS = 5

/**
 * The SDK's OAuth client side for a registered server that uses the authorization code flow with
 * PKCE, followed without a browser: when the SDK asks to send a person to the authorization URL,
 * the node fetches it itself and takes the code from the redirect (`takeCode`), which works with a
 * server that grants without a sign-in (a machine grant, the conformance suite's); one that shows a
 * login page is refused with a clear error (register it with a token or client credentials). The
 * client is registered dynamically unless a client id is given. Tokens, the verifier and the
 * client's secret live in this object only: never in a log, a record or an error message.
 */
export class HeadlessOAuthProvider implements OAuthClientProvider {
  readonly #scope: string | undefined
  #client: OAuthClientInformationMixed | undefined
  #tokens: OAuthTokens | undefined
  #verifier = ''
  #state = ''
  #code: string | undefined

  constructor (opts: { readonly clientId?: string, readonly clientSecret?: string, readonly scope?: string } = {}) {
    this.#scope = opts.scope
    if (opts.clientId !== undefined) this.#client = { client_id: opts.clientId, ...(opts.clientSecret !== undefined && { client_secret: opts.clientSecret }) }
  }

  get redirectUrl (): string { return REDIRECT_URL }

  get clientMetadata (): OAuthClientMetadata {
    return {
      client_name: 'Plexi',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: this.#client?.client_secret === undefined ? 'none' : 'client_secret_basic',
      ...(this.#scope !== undefined && { scope: this.#scope })
    }
  }

  state (): string {
    this.#state = randomBytes(16).toString('base64url')
    return this.#state
  }

  clientInformation (): OAuthClientInformationMixed | undefined { return this.#client }
  saveClientInformation (info: OAuthClientInformationMixed): void { this.#client = info }
  tokens (): OAuthTokens | undefined { return this.#tokens }
  saveTokens (tokens: OAuthTokens): void { this.#tokens = tokens }
  saveCodeVerifier (verifier: string): void { this.#verifier = verifier }
  codeVerifier (): string { return this.#verifier }

  invalidateCredentials (scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined
    if (scope === 'all' || scope === 'verifier') this.#verifier = ''
  }

  /** The code the last authorization gave, once (undefined: none waiting). */
  takeCode (): string | undefined {
    const code = this.#code
    this.#code = undefined
    return code
  }

  /** Every secret this provider holds now, for scrubbing error text. */
  secrets (): string[] {
    return [this.#tokens?.access_token, this.#tokens?.refresh_token, this.#client?.client_secret, this.#verifier].filter((s): s is string => typeof s === 'string' && s.length >= 8)
  }

  async redirectToAuthorization (authorizationUrl: URL): Promise<void> {
    let url = authorizationUrl
    for (let hop = 0; hop <= MAX_HOPS; hop++) {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) })
      await res.body?.cancel()
      const location = res.headers.get('location')
      if (res.status < 300 || res.status > 399 || location === null) {
        throw new Error(`the authorization server at ${authorizationUrl.origin} wants a person to sign in (it answered ${res.status}, not a redirect with a code): register the server with a token or client credentials`)
      }
      const next = new URL(location, url)
      if (next.href.startsWith(REDIRECT_URL)) {
        const code = next.searchParams.get('code')
        if (code === null) throw new Error(`the authorization server at ${authorizationUrl.origin} refused: ${next.searchParams.get('error') ?? 'no code'}`)
        if (this.#state !== '' && next.searchParams.get('state') !== this.#state) throw new Error(`the authorization server at ${authorizationUrl.origin} sent back another state than the node's`)
        this.#code = code
        return
      }
      if (next.origin !== authorizationUrl.origin) throw new Error(`the authorization server at ${authorizationUrl.origin} sent the sign-in elsewhere (${next.origin}): register the server with a token or client credentials`)
      url = next
    }
    throw new Error(`the authorization server at ${authorizationUrl.origin} redirected more than ${MAX_HOPS} times`)
  }
}
