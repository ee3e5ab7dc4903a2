import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Agent, fetch as undiciFetch } from 'undici'
import { selfSignedCertificate } from '../../cli/self-signed-certificate.ts'
import { watchSecret } from './secret-watch.ts'

/** A self-signed certificate and its key in files, as `plexi tls selfsigned` makes them. */
export interface TlsPair {
  readonly certFile: string
  readonly keyFile: string
  /** The certificate: what a client trusts (--tls-ca). */
  readonly ca: Buffer
  /** The node's flags that serve it: --tls-cert, --tls-key. */
  readonly args: readonly string[]
}

/** Writes a lab pair for `hosts` (default localhost, 127.0.0.1, ::1) into `dir` as `<name>.crt` and
 * `<name>.key` (mode 0600). */
export async function makeTlsPair (dir: string, name = 'node', hosts?: readonly string[]): Promise<TlsPair> {
  const pair = await selfSignedCertificate(hosts === undefined ? {} : { hosts })
  const certFile = join(dir, `${name}.crt`)
  const keyFile = join(dir, `${name}.key`)
  await writeFile(certFile, pair.cert, { flag: 'wx' })
  await writeFile(keyFile, pair.key, { mode: 0o600, flag: 'wx' })
  // no log of the run may hold the key: each line of its PEM body is looked for
  for (const line of pair.key.split('\n').filter((l) => !l.startsWith('-----'))) watchSecret(line, 'a TLS private key')
  return { certFile, keyFile, ca: Buffer.from(pair.cert), args: ['--tls-cert', certFile, '--tls-key', keyFile] }
}

/** A fetch that trusts `ca` (and no other CA) for https:// URLs; the global fetch without one. */
export function fetchTrusting (ca: Buffer | undefined): typeof fetch {
  if (ca === undefined) return fetch
  const dispatcher = new Agent({ connect: { ca } })
  return (async (input: string, init?: RequestInit) => await undiciFetch(input, { ...init, dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch
}
