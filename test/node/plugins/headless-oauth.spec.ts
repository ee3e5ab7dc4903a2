import { expect } from 'chai'
import { createServer } from 'node:http'
import type { Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HeadlessOAuthProvider } from '../../../node/plugins/headless-oauth.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('headless oauth', () => {
  let http: Server
  let base: string
  let answer: (url: URL, res: ServerResponse) => void

  before(async () => {
    http = createServer((req, res) => { answer(new URL(req.url ?? '/', base), res) })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  })
  after(async () => { http.closeAllConnections(); await new Promise((resolve) => http.close(resolve)) })

  const redirectTo = (to: (url: URL) => string) => (url: URL, res: ServerResponse): void => { res.writeHead(302, { location: to(url) }).end() }

  it('should take the code from the redirect to its callback, following the server\'s own redirects, once', async () => {
    const p = new HeadlessOAuthProvider({ clientId: 'c', clientSecret: 's-0123456789', scope: 'tools' })
    const state = p.state()
    answer = (url, res) => url.pathname === '/authorize'
      ? redirectTo(() => `${base}/consent`)(url, res)
      : redirectTo(() => `${p.redirectUrl}?code=abc&state=${state}`)(url, res)
    await p.redirectToAuthorization(new URL(`${base}/authorize`))
    expect(p.takeCode()).to.equal('abc')
    expect(p.takeCode()).to.equal(undefined)
    expect(p.clientInformation()).to.deep.equal({ client_id: 'c', client_secret: 's-0123456789' })
    expect(p.clientMetadata).to.include({ token_endpoint_auth_method: 'client_secret_basic', scope: 'tools' })
    expect(p.secrets()).to.include('s-0123456789')
  })

  it('should refuse a server that wants a person to sign in, sends the sign-in elsewhere, refuses, or sends another state', async () => {
    const p = new HeadlessOAuthProvider()
    p.state()
    answer = (_url, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<form>sign in</form>') }
    expect(await rejection(() => p.redirectToAuthorization(new URL(`${base}/authorize`)))).to.match(/wants a person to sign in \(it answered 200/)
    answer = redirectTo(() => 'https://login.example.com/')
    expect(await rejection(() => p.redirectToAuthorization(new URL(`${base}/authorize`)))).to.match(/sent the sign-in elsewhere/)
    answer = redirectTo(() => `${p.redirectUrl}?error=access_denied`)
    expect(await rejection(() => p.redirectToAuthorization(new URL(`${base}/authorize`)))).to.match(/refused: access_denied/)
    answer = redirectTo(() => `${p.redirectUrl}?code=x&state=forged`)
    expect(await rejection(() => p.redirectToAuthorization(new URL(`${base}/authorize`)))).to.match(/another state/)
    answer = redirectTo((url) => `${base}${url.pathname}x`)
    expect(await rejection(() => p.redirectToAuthorization(new URL(`${base}/authorize`)))).to.match(/redirected more than 5 times/)
    expect(p.takeCode()).to.equal(undefined)
  })

  it('should keep its tokens and forget them when told', () => {
    const p = new HeadlessOAuthProvider()
    p.saveTokens({ access_token: 'access-0123456789', token_type: 'Bearer' })
    p.saveCodeVerifier('verifier-0123456789')
    expect(p.tokens()?.access_token).to.equal('access-0123456789')
    expect(p.secrets()).to.include.members(['access-0123456789', 'verifier-0123456789'])
    p.invalidateCredentials('tokens')
    expect(p.tokens()).to.equal(undefined)
    expect(p.clientMetadata.token_endpoint_auth_method).to.equal('none')
  })
})
