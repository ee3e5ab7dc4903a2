import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { checkServerIdentity } from 'node:tls'
import type { PeerCertificate } from 'node:tls'
import { UsageError } from './cli-errors.ts'
import type { CliIo } from './cli-io.ts'

/** How a client reaches a node that speaks TLS. */
export interface ClientTls {
  /** PEM certificates to trust instead of the system's (--tls-ca); undefined: the system's CAs. */
  readonly ca: Buffer | undefined
  /** The file they came from, for messages. */
  readonly caFile: string | undefined
}

/** The TLS flags as the CLI parsed them. */
export interface TlsFlags {
  tlsCa?: string
  tls?: boolean
}

/** A PEM certificate block. */
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?\r?\n-----END CERTIFICATE-----/g

/**
 * The TLS a client command uses: with --tls-ca FILE (env PLEXI_TLS_CA) it trusts the certificates
 * in FILE, and only them; with --tls (env PLEXI_TLS=1) the system's CAs; neither: plain, as before.
 * The file is read and checked here, so that a wrong one is a usage error naming it rather than a
 * failed handshake.
 */
export async function clientTls (flags: TlsFlags, io: CliIo): Promise<ClientTls | undefined> {
  const caFlag = flags.tlsCa ?? nonEmpty(io.env.PLEXI_TLS_CA)
  const where = flags.tlsCa !== undefined ? '--tls-ca' : 'PLEXI_TLS_CA'
  if (caFlag !== undefined) {
    if (caFlag.trim() === '') throw new UsageError(`${where}: expected a file of PEM certificates`)
    const file = resolve(io.cwd, caFlag)
    let ca: Buffer
    try {
      ca = await readFile(file)
    } catch (err) {
      throw new UsageError(`${where}: cannot read ${file}: ${(err as Error).message}`)
    }
    const blocks = [...ca.toString('latin1').matchAll(PEM_CERTIFICATE)]
    if (blocks.length === 0) throw new UsageError(`${where}: ${file} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----" blocks: the node's certificate, or the CA that signed it)`)
    for (const [i, block] of blocks.entries()) {
      try {
        void new X509Certificate(block[0])
      } catch (err) {
        throw new UsageError(`${where}: certificate ${i + 1} in ${file} cannot be parsed: ${(err as Error).message}`)
      }
    }
    return { ca, caFile: file }
  }
  const env = nonEmpty(io.env.PLEXI_TLS)?.trim().toLowerCase()
  if (env !== undefined && !['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'].includes(env)) {
    throw new UsageError(`PLEXI_TLS: expected 1 or 0 (true or false), got ${JSON.stringify(env.slice(0, 40))}`)
  }
  const on = flags.tls ?? (env !== undefined && ['1', 'true', 'yes', 'on'].includes(env))
  return on ? { ca: undefined, caFile: undefined } : undefined
}

/**
 * What went wrong with TLS, in words a user can act on, from a connection error's code or message
 * (undici's cause, or grpc-js's details); undefined when it is not about TLS. `tls`: what the client
 * used (undefined: plain).
 */
export function tlsProblem (error: { code?: string | undefined, message: string }, tls: ClientTls | undefined, host: string): string | undefined {
  const code = error.code ?? ''
  const text = `${code} ${error.message}`
  const trust = tls?.caFile === undefined ? 'pass --tls-ca FILE with the node\'s certificate or its CA (env PLEXI_TLS_CA)' : `it is not signed by a certificate in ${tls.caFile}: pass the one the node serves (--tls-ca)`
  if (/SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE|self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate/i.test(text)) {
    return `TLS: the node's certificate is not trusted: ${trust}`
  }
  if (/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/i.test(text)) {
    return `TLS: the node's certificate is not for ${host}: connect by a name or address it lists (plexi tls selfsigned --host ${host} makes one that does)`
  }
  if (/CERT_HAS_EXPIRED|certificate has expired/i.test(text)) return 'TLS: the node\'s certificate has expired: it needs a new one'
  if (/CERT_NOT_YET_VALID|certificate is not yet valid/i.test(text)) return 'TLS: the node\'s certificate is not valid yet: is this machine\'s clock right?'
  if (/wrong version number|ERR_SSL_WRONG_VERSION_NUMBER|packet length too long|http request|unknown protocol/i.test(text)) {
    return 'TLS: the node does not speak TLS: leave out --tls-ca and --tls (PLEXI_TLS_CA, PLEXI_TLS), or start the node with --tls-cert and --tls-key'
  }
  // a TLS server closes a connection whose first bytes are not a handshake, answering nothing
  if (tls === undefined && /UND_ERR_SOCKET|other side closed|Failed to connect/i.test(text)) {
    return 'the node closed the connection without an answer: it may speak TLS: pass --tls-ca FILE with its certificate or CA (or --tls for a certificate from a public CA)'
  }
  return undefined
}

/**
 * The gRPC channel options for TLS to `address`. grpc-js sends the target host as the TLS server
 * name (SNI) even when it is an IP address, which RFC 6066 forbids and Node warns of on every run
 * (DEP0123) — and the default address is 127.0.0.1. For a loopback address the name sent is
 * `localhost`, which it is; the certificate is still checked against the address itself.
 */
export function grpcTlsOptions (address: string): { channel: Record<string, string>, checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined } {
  const host = address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')
  if (isIP(host) === 0 || !isLoopback(host)) return { channel: {} }
  return {
    channel: { 'grpc.ssl_target_name_override': 'localhost' },
    checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert)
  }
}

function isLoopback (ip: string): boolean {
  return ip === '::1' || /^127\./.test(ip) || /^::ffff:127\./i.test(ip)
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
