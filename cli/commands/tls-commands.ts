import { X509Certificate } from 'node:crypto'
import { access, unlink, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Command } from 'commander'
import { CliError, UsageError } from '../cli-errors.ts'
import { printJson } from '../cli-io.ts'
import type { CliIo } from '../cli-io.ts'
import { integer } from '../flag-values.ts'
import { DEFAULT_CERT_DAYS, MAX_CERT_DAYS } from '../constants.ts'
import { DEFAULT_CERT_HOSTS, badCertHost, selfSignedCertificate } from '../self-signed-certificate.ts'
import { MAX_CERT_HOSTS as MAX_HOSTS } from './constants.ts'


/** `plexi tls`: certificates for the node's TLS (--tls-cert, --tls-key). */
export function tlsCommands (io: CliIo): Command {
  const tls = new Command('tls').description('TLS certificates for a node (--tls-cert, --tls-key) and its clients (--tls-ca)')
  tls.command('selfsigned')
    .description('make a self-signed ECDSA P-256 certificate and its private key for a lab: the node serves them with --tls-cert and --tls-key, clients trust the certificate with --tls-ca (an existing file is never overwritten)')
    .requiredOption('--cert <file>', 'the certificate file to create (PEM; give it to clients as --tls-ca)')
    .requiredOption('--key <file>', 'the private key file to create (PEM, mode 0600; it stays on the node)')
    .option('--host <name>', `a DNS name or IP address clients connect by, once per host (default: ${DEFAULT_CERT_HOSTS.join(', ')})`, (value: string, hosts: string[] = []) => [...hosts, value])
    .option('--days <n>', `days the certificate is valid, 1 to ${MAX_CERT_DAYS}`, String(DEFAULT_CERT_DAYS))
    .option('--json', 'print JSON for scripts: { cert, key, hosts, validFrom, validTo, fingerprint256 }')
    .addHelpText('after', `
Examples:
  plexi tls selfsigned --cert node.crt --key node.key
  plexi tls selfsigned --cert node.crt --key node.key --host chat.lab.example --host 10.0.0.5 --days 90
  plexi node start --role all --tls-cert node.crt --tls-key node.key
  plexi chat --tls-ca node.crt --room general

For anything but a lab, use a certificate from your CA or ACME (Let's Encrypt): clients then need
--tls alone. See docs/operations.md, "TLS".`)
    .action(async (flags: { cert: string, key: string, host?: string[], days: string, json?: boolean }) => {
      if (flags.cert.trim() === '') throw new UsageError('--cert: expected a file name')
      if (flags.key.trim() === '') throw new UsageError('--key: expected a file name')
      const certFile = resolve(io.cwd, flags.cert)
      const keyFile = resolve(io.cwd, flags.key)
      if (certFile === keyFile) throw new UsageError(`--cert and --key are the same file (${certFile}): the key goes in a file of its own, mode 0600`)
      const hosts = [...new Set(flags.host ?? DEFAULT_CERT_HOSTS)]
      if (hosts.length > MAX_HOSTS) throw new UsageError(`--host: at most ${MAX_HOSTS} hosts, got ${hosts.length}`)
      for (const host of hosts) {
        const bad = badCertHost(host)
        if (bad !== undefined) throw new UsageError(`--host: ${bad}`)
      }
      const days = integer(flags.days, '--days', 1, MAX_CERT_DAYS)
      // neither is written when either exists: a pair half replaced would match nothing
      for (const file of [certFile, keyFile]) {
        if (await access(file).then(() => true, () => false)) throw new UsageError(`${file} exists: a certificate or key is never overwritten (a node may be serving it); choose another file or remove it first`)
      }
      const pair = await selfSignedCertificate({ hosts, days })
      await create(keyFile, pair.key, 0o600)
      await create(certFile, pair.cert, 0o644).catch(async (err: unknown) => {
        // the key alone would be of no use: take it back
        await unlink(keyFile).catch(() => {})
        throw err
      })
      const cert = new X509Certificate(pair.cert)
      if (flags.json === true) {
        printJson(io, { cert: certFile, key: keyFile, hosts, validFrom: cert.validFromDate.toISOString(), validTo: cert.validToDate.toISOString(), fingerprint256: cert.fingerprint256 })
        return
      }
      io.stdout.write(`wrote ${certFile} (certificate for ${hosts.join(', ')}, valid to ${cert.validToDate.toISOString()}) and ${keyFile} (private key, mode 0600)\n`)
      io.stdout.write(`start a node with --tls-cert ${certFile} --tls-key ${keyFile}; clients trust it with --tls-ca ${certFile}\n`)
    })
  return tls
}

/** Writes a new file of `mode`; an existing one (made since the check) is a UsageError, untouched. */
async function create (file: string, text: string, mode: number): Promise<void> {
  await writeFile(file, text, { mode, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new UsageError(`${file} exists: a certificate or key is never overwritten; choose another file or remove it first`)
    throw new CliError(`cannot write ${file}: ${err.message}`)
  })
}
