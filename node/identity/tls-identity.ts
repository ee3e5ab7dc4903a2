import { X509Certificate, createPrivateKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createSecureContext } from 'node:tls'
import { tooOpen } from './secret-file.ts'

/** A PEM block: its label and the whole block. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?\r?\n-----END \1-----/g

/** The certificate and key the node serves TLS with (gRPC, admin HTTP, the OpenAI-compatible API). */
export interface TlsIdentity {
  /** The PEM chain as read: this node's certificate first, then any intermediates. */
  readonly cert: Buffer
  /** The PEM private key as read: kept in memory, never logged. */
  readonly key: Buffer
  /** What the log says of it (the certificate's public facts only). */
  readonly summary: {
    readonly subject: string
    readonly issuer: string
    readonly altNames: string
    readonly validFrom: string
    readonly validTo: string
    /** SHA-256 of the leaf certificate, as `openssl x509 -fingerprint -sha256` prints it. */
    readonly fingerprint256: string
    /** The certificate's validity ended before now: clients will refuse it. */
    readonly expired: boolean
  }
}

/** A TLS file cannot be used; `key` names the configuration key of the file at fault. */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError'
  readonly key: 'tls-cert' | 'tls-key'
  constructor (key: 'tls-cert' | 'tls-key', message: string) {
    super(message)
    this.key = key
  }
}

/**
 * Reads and checks the node's certificate chain and private key before anything listens, so that a
 * wrong pair fails the start with a line naming the file rather than every client's handshake
 * later: each file readable, PEM, the key file only its owner's to read (as the cluster key), the
 * key the certificate's, and the pair usable by Node's TLS. Throws TlsFileError.
 */
export async function loadTlsIdentity (certFile: string, keyFile: string, now = Date.now()): Promise<TlsIdentity> {
  const cert = await read('tls-cert', certFile, 'certificate chain')
  const key = await read('tls-key', keyFile, 'private key')
  // as ssh refuses a private key others may read: whoever reads it can pose as this node
  const open = await tooOpen(keyFile)
  if (open !== undefined) throw new TlsFileError('tls-key', `${open} (whoever reads the TLS private key can pose as this node)`)

  const certBlocks = [...cert.toString('latin1').matchAll(PEM_BLOCK)]
  if (certBlocks.length === 0 || certBlocks.some((b) => b[1] !== 'CERTIFICATE')) {
    throw new TlsFileError('tls-cert', `${certFile} is not a PEM certificate chain: expected one or more "-----BEGIN CERTIFICATE-----" blocks${certBlocks.length === 0 ? '' : `, found ${certBlocks.map((b) => JSON.stringify(b[1])).join(', ')}`}`)
  }
  const chain = certBlocks.map((block, i) => {
    try {
      return new X509Certificate(block[0])
    } catch (err) {
      throw new TlsFileError('tls-cert', `${certFile}: certificate ${i + 1} of the chain cannot be parsed: ${(err as Error).message}`)
    }
  })
  const leaf = chain[0] as X509Certificate

  const keyBlocks = [...key.toString('latin1').matchAll(PEM_BLOCK)]
  if (keyBlocks.length !== 1 || !/PRIVATE KEY$/.test(keyBlocks[0]?.[1] ?? '')) {
    throw new TlsFileError('tls-key', `${keyFile} is not a PEM private key: expected one "-----BEGIN PRIVATE KEY-----" block (or EC/RSA PRIVATE KEY)${keyBlocks.length === 0 ? '' : `, found ${keyBlocks.map((b) => JSON.stringify(b[1])).join(', ')}`}`)
  }
  if (keyBlocks[0]?.[1] === 'ENCRYPTED PRIVATE KEY') {
    throw new TlsFileError('tls-key', `${keyFile} is encrypted: the node reads no passphrase; decrypt it into a file of mode 0600 (openssl pkey -in ${keyFile} -out FILE)`)
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(key)
  } catch (err) {
    throw new TlsFileError('tls-key', `${keyFile}: the private key cannot be read: ${(err as Error).message}`)
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsFileError('tls-key', `the key in ${keyFile} does not match the certificate in ${certFile} (${leaf.subject.replaceAll('\n', ', ')}): give the key that certificate was made for`)
  }
  try {
    // what the servers will do with them: anything else Node's TLS cannot use fails here, not later
    createSecureContext({ cert, key })
  } catch (err) {
    throw new TlsFileError('tls-cert', `${certFile} and ${keyFile} cannot serve TLS: ${(err as Error).message}`)
  }
  return {
    cert,
    key,
    summary: {
      subject: leaf.subject.replaceAll('\n', ', '),
      issuer: leaf.issuer.replaceAll('\n', ', '),
      altNames: leaf.subjectAltName ?? '',
      validFrom: leaf.validFromDate.toISOString(),
      validTo: leaf.validToDate.toISOString(),
      fingerprint256: leaf.fingerprint256,
      expired: leaf.validToDate.getTime() < now
    }
  }
}

async function read (which: 'tls-cert' | 'tls-key', file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (err) {
    throw new TlsFileError(which, `cannot read the TLS ${what} file ${file}: ${(err as Error).message}`)
  }
}
