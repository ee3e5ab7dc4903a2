import { expect } from 'chai'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { selfSignedCertificate } from '../../../cli/self-signed-certificate.ts'
import { TlsFileError, loadTlsIdentity } from '../../../node/identity/index.ts'
import { makeTlsPair } from '../../helpers/tls-pair.ts'
import type { TlsPair } from '../../helpers/tls-pair.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('loadTlsIdentity', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let pair: TlsPair
  let other: TlsPair
  before(async () => {
    dir = await tempDir()
    pair = await makeTlsPair(dir.path, 'node')
    other = await makeTlsPair(dir.path, 'other', ['other.example'])
  })
  after(async () => { await dir.remove() })

  /** The TlsFileError loading `cert` and `key` fails with. */
  const refused = async (cert: string, key: string): Promise<TlsFileError> => {
    const err = await loadTlsIdentity(cert, key).then(() => undefined, (e: unknown) => e)
    expect(err, 'expected a TlsFileError').to.be.instanceOf(TlsFileError)
    return err as TlsFileError
  }
  const file = async (name: string, text: string | Buffer, mode = 0o600): Promise<string> => {
    const path = join(dir.path, name)
    await writeFile(path, text, { mode })
    await chmod(path, mode)
    return path
  }

  it('should load a matching pair, with the certificate\'s public facts to log and not the key', async () => {
    const tls = await loadTlsIdentity(pair.certFile, pair.keyFile)
    expect(tls.cert.equals(await readFile(pair.certFile))).to.equal(true)
    expect(tls.key.equals(await readFile(pair.keyFile))).to.equal(true)
    const leaf = new X509Certificate(tls.cert)
    expect(tls.summary).to.include({ subject: 'CN=plexi localhost', issuer: 'CN=plexi localhost', fingerprint256: leaf.fingerprint256, expired: false })
    expect(tls.summary.altNames).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(JSON.stringify(tls.summary)).not.to.include(tls.key.toString().split('\n')[1])
  })

  it('should take a chain: the node\'s certificate first, then its issuers', async () => {
    const chain = await file('chain.crt', Buffer.concat([await readFile(pair.certFile), await readFile(other.certFile)]), 0o644)
    expect((await loadTlsIdentity(chain, pair.keyFile)).summary.subject).to.equal('CN=plexi localhost')
  })

  it('should refuse, naming the file and the key, a file that cannot be read', async () => {
    const missing = join(dir.path, 'missing.crt')
    const cert = await refused(missing, pair.keyFile)
    expect(cert.key).to.equal('tls-cert')
    expect(cert.message).to.include(`cannot read the TLS certificate chain file ${missing}`)
    const key = await refused(pair.certFile, join(dir.path, 'missing.key'))
    expect(key.key).to.equal('tls-key')
    expect(key.message).to.include('cannot read the TLS private key file')
  })

  it('should refuse a key file that group or others may read, as the cluster key', async () => {
    const open = await file('open.key', await readFile(pair.keyFile), 0o644)
    const err = await refused(pair.certFile, open)
    expect(err.key).to.equal('tls-key')
    expect(err.message).to.include(`permissions 0644 on ${open} are too open: chmod 600 ${open}`)
  })

  it('should refuse files that are not PEM, or not what they should hold', async () => {
    const text = await file('text.crt', 'hello\n', 0o644)
    expect((await refused(text, pair.keyFile)).message).to.include(`${text} is not a PEM certificate chain`)
    const der = await file('der.crt', new X509Certificate(await readFile(pair.certFile)).raw, 0o644)
    expect((await refused(der, pair.keyFile)).key).to.equal('tls-cert')
    // the key where the certificate should be, and the other way round
    const swapped = await refused(pair.keyFile, pair.keyFile)
    expect(swapped).to.include({ key: 'tls-cert' })
    expect(swapped.message).to.include('found "PRIVATE KEY"')
    const certAsKey = await file('cert-as.key', await readFile(pair.certFile))
    expect((await refused(pair.certFile, certAsKey)).message).to.include(`${certAsKey} is not a PEM private key`)
    const broken = await file('broken.key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')
    expect((await refused(pair.certFile, broken)).message).to.include('the private key cannot be read')
    const encrypted = createPrivateKey(await readFile(pair.keyFile)).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
    expect((await refused(pair.certFile, await file('encrypted.key', encrypted))).message).to.include('is encrypted: the node reads no passphrase')
  })

  it('should refuse a key that is not the certificate\'s', async () => {
    const err = await refused(pair.certFile, other.keyFile)
    expect(err.key).to.equal('tls-key')
    expect(err.message).to.equal(`the key in ${other.keyFile} does not match the certificate in ${pair.certFile} (CN=plexi localhost): give the key that certificate was made for`)
  })

  it('should load an expired certificate, saying it expired (the node warns; clients refuse it)', async () => {
    const old = await selfSignedCertificate({ days: 1, now: Date.now() - 10 * 86_400_000 })
    const tls = await loadTlsIdentity(await file('old.crt', old.cert, 0o644), await file('old.key', old.key))
    expect(tls.summary.expired).to.equal(true)
  })
})
