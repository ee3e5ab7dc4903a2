import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { isIP } from 'node:net'
import { DEFAULT_CERT_DAYS, MAX_CERT_DAYS } from './constants.ts'

/** What a lab certificate covers when no host is named: this machine, by name and by address. */
export const DEFAULT_CERT_HOSTS = ['localhost', '127.0.0.1', '::1'] as const


/** OIDs that the X.509 schema package does not name. */
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'
const COMMON_NAME = '2.5.4.3'

/** A DNS name as a certificate holds it: labels of letters, digits and hyphens, or a leading `*.`. */
const DNS_NAME = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** Why `host` cannot go in a certificate's subjectAltName, or undefined when it can. */
export function badCertHost (host: string): string | undefined {
  if (isIP(host) !== 0) return undefined
  if (host.length > 253 || !DNS_NAME.test(host)) return `${JSON.stringify(host.slice(0, 80))} is neither an IP address nor a DNS name (letters, digits, hyphens and dots; *. for a wildcard)`
  return undefined
}

/**
 * A self-signed ECDSA P-256 certificate and its key, both PEM, for a lab or a test: one certificate
 * that is its own CA (clients trust it with --tls-ca), its subjectAltName listing `hosts` (IP
 * addresses as IP entries, the rest as DNS names), valid from a minute ago (clocks differ a little)
 * for `days`. Built with node:crypto for the key and the signature and an ASN.1 schema for the
 * encoding (loaded only here: it takes a while, and no other command needs it): nothing is run, no
 * openssl needed. Throws RangeError on a bad host or day count.
 */
export async function selfSignedCertificate (opts: { hosts?: readonly string[], days?: number, now?: number } = {}): Promise<{ cert: string, key: string }> {
  const hosts = opts.hosts ?? DEFAULT_CERT_HOSTS
  const days = opts.days ?? DEFAULT_CERT_DAYS
  if (hosts.length === 0) throw new RangeError('a certificate needs at least one host')
  for (const host of hosts) {
    const bad = badCertHost(host)
    if (bad !== undefined) throw new RangeError(bad)
  }
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_CERT_DAYS) throw new RangeError(`days: expected an integer from 1 to ${MAX_CERT_DAYS}, got ${days}`)
  const now = opts.now ?? Date.now()
  const { AsnConvert, OctetString } = await import('@peculiar/asn1-schema')
  const {
    AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, BasicConstraints, Certificate, ExtendedKeyUsage, Extension, Extensions,
    GeneralName, KeyUsage, KeyUsageFlags, Name, RelativeDistinguishedName, SubjectAlternativeName, SubjectPublicKeyInfo, TBSCertificate,
    Validity, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectAltName, id_kp_serverAuth
  } = await import('@peculiar/asn1-x509')
  const extension = (id: string, critical: boolean, value: unknown): InstanceType<typeof Extension> =>
    new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) })
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 })
  const name = new Name([new RelativeDistinguishedName([
    new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: `plexi ${hosts[0] ?? ''}`.slice(0, 64) }) })
  ])])
  // RFC 5280 4.1.2.2: a positive integer of at most 20 octets, unpredictable
  const serial = randomBytes(16)
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01
  const tbs = new TBSCertificate({
    version: 2, // v3
    serialNumber: arrayBuffer(serial),
    signature: algorithm,
    issuer: name,
    subject: name,
    validity: new Validity({ notBefore: new Date(now - 60_000), notAfter: new Date(now + days * 86_400_000) }),
    subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo),
    extensions: new Extensions([
      extension(id_ce_subjectAltName, false, new SubjectAlternativeName(hosts.map((host) => new GeneralName(isIP(host) !== 0 ? { iPAddress: host } : { dNSName: host })))),
      // its own CA: a client given this file as --tls-ca trusts it as the root of the chain
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign)),
      extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth]))
    ])
  })
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), privateKey)
  const der = Buffer.from(AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: arrayBuffer(signature) })))
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  }
}

function arrayBuffer (bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}
