import { expect } from 'chai'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { DEFAULT_CERT_HOSTS, badCertHost, selfSignedCertificate } from '../../cli/self-signed-certificate.ts'

describe('selfSignedCertificate', () => {
  it('should make an ECDSA P-256 certificate for localhost and the loopback addresses, signed by its own key', async () => {
    const now = Date.UTC(2030, 0, 1)
    const { cert, key } = await selfSignedCertificate({ now })
    const x509 = new X509Certificate(cert)
    const privateKey = createPrivateKey(key)
    expect(privateKey.asymmetricKeyType).to.equal('ec')
    expect(privateKey.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1')
    expect(x509.checkPrivateKey(privateKey)).to.equal(true)
    expect(x509.verify(x509.publicKey)).to.equal(true)
    expect(x509.subjectAltName).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(x509.checkHost('localhost')).to.equal('localhost')
    expect(x509.checkIP('127.0.0.1')).to.equal('127.0.0.1')
    expect(x509.checkIP('::1')).to.equal('::1')
    expect(x509.ca).to.equal(true)
    expect(x509.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1'])
    expect(x509.validFromDate.getTime()).to.equal(now - 60_000)
    expect(x509.validToDate.getTime()).to.equal(now + 365 * 86_400_000)
    expect(key).to.match(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(DEFAULT_CERT_HOSTS).to.deep.equal(['localhost', '127.0.0.1', '::1'])
  })

  it('should name the hosts given, addresses as IP entries, with a fresh key and serial each time', async () => {
    const a = await selfSignedCertificate({ hosts: ['chat.lab.example', '*.lab.example', '10.0.0.5', 'fe80::1'], days: 30 })
    const b = await selfSignedCertificate({ hosts: ['chat.lab.example'] })
    const x509 = new X509Certificate(a.cert)
    expect(x509.subjectAltName).to.equal('DNS:chat.lab.example, DNS:*.lab.example, IP Address:10.0.0.5, IP Address:FE80:0:0:0:0:0:0:1')
    expect(x509.checkHost('x.lab.example')).to.equal('*.lab.example')
    expect(x509.checkHost('localhost')).to.equal(undefined)
    expect(x509.subject).to.equal('CN=plexi chat.lab.example')
    expect(x509.validToDate.getTime() - x509.validFromDate.getTime()).to.equal(30 * 86_400_000 + 60_000)
    expect(new X509Certificate(b.cert).serialNumber).not.to.equal(x509.serialNumber)
    expect(b.key).not.to.equal(a.key)
  })

  it('should refuse hosts that are neither names nor addresses, and day counts out of range', async () => {
    for (const host of ['', 'two words', 'under_score.example', '-lead.example', '[::1]', 'a'.repeat(64) + '.example', 'x.*.example']) {
      expect(badCertHost(host), host).to.be.a('string')
      const err = await selfSignedCertificate({ hosts: [host] }).then(() => undefined, (e: unknown) => e)
      expect(err, host).to.be.instanceOf(RangeError)
    }
    for (const host of ['localhost', 'a-b.example', '*.example', '192.168.1.1', '::1']) expect(badCertHost(host), host).to.equal(undefined)
    for (const days of [0, -1, 1.5, 3651, Number.NaN]) {
      expect(await selfSignedCertificate({ days }).then(() => undefined, (e: unknown) => e), String(days)).to.be.instanceOf(RangeError)
    }
    expect(await selfSignedCertificate({ hosts: [] }).then(() => undefined, (e: unknown) => e)).to.be.instanceOf(RangeError)
  })
})
