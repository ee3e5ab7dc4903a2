import { expect } from 'chai'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { CliIo } from '../../../cli/cli-io.ts'
import { completionScript } from '../../../cli/completion-script.ts'
import { main, plexiProgram } from '../../../cli/main.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

/** Runs `plexi ARGS` in this process with `cwd`; its exit code and what it wrote. */
async function plexi (cwd: string, ...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const code = await main(args, { stdout, stderr, stdin: new PassThrough(), env: {}, cwd })
  return { code, stdout: out, stderr: err }
}

describe('tlsCommands', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should write a certificate for the loopback names and its key, mode 0600, that match', async () => {
    const made = await plexi(dir.path, 'tls', 'selfsigned', '--cert', 'node.crt', '--key', 'node.key')
    expect(made.code, made.stderr).to.equal(0)
    const certFile = join(dir.path, 'node.crt')
    const keyFile = join(dir.path, 'node.key')
    expect(made.stdout).to.include(`wrote ${certFile} (certificate for localhost, 127.0.0.1, ::1, valid to `)
    expect(made.stdout).to.include(`start a node with --tls-cert ${certFile} --tls-key ${keyFile}; clients trust it with --tls-ca ${certFile}`)
    expect((await stat(keyFile)).mode & 0o777).to.equal(0o600)
    const cert = new X509Certificate(await readFile(certFile))
    expect(cert.subjectAltName).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(cert.checkPrivateKey(createPrivateKey(await readFile(keyFile)))).to.equal(true)
    const days = (cert.validToDate.getTime() - Date.now()) / 86_400_000
    expect(days).to.be.within(364, 366)
  })

  it('should cover the hosts given for the days given, and print JSON', async () => {
    const made = await plexi(dir.path, 'tls', 'selfsigned', '--cert', 'a.crt', '--key', 'a.key', '--host', 'chat.lab.example', '--host', '10.0.0.5', '--host', 'chat.lab.example', '--days', '7', '--json')
    expect(made.code, made.stderr).to.equal(0)
    const out = JSON.parse(made.stdout) as { cert: string, key: string, hosts: string[], validTo: string, fingerprint256: string }
    const cert = new X509Certificate(await readFile(join(dir.path, 'a.crt')))
    expect(out).to.deep.include({ cert: join(dir.path, 'a.crt'), key: join(dir.path, 'a.key'), hosts: ['chat.lab.example', '10.0.0.5'], fingerprint256: cert.fingerprint256 })
    expect(cert.subjectAltName).to.equal('DNS:chat.lab.example, IP Address:10.0.0.5')
    expect(out.validTo).to.equal(cert.validToDate.toISOString())
    expect((cert.validToDate.getTime() - Date.now()) / 86_400_000).to.be.within(6, 8)
  })

  it('should never overwrite a file, writing neither of the pair when one exists', async () => {
    await writeFile(join(dir.path, 'taken.key'), 'precious\n', { mode: 0o600 })
    const refused = await plexi(dir.path, 'tls', 'selfsigned', '--cert', 'new.crt', '--key', 'taken.key')
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.include(`${join(dir.path, 'taken.key')} exists: a certificate or key is never overwritten`)
    expect(await readFile(join(dir.path, 'taken.key'), 'utf8')).to.equal('precious\n')
    expect(await stat(join(dir.path, 'new.crt')).then(() => true, () => false)).to.equal(false)
  })

  it('should refuse bad flags with exit 2, writing nothing', async () => {
    const cases: Array<[string[], string]> = [
      [['--cert', 'same', '--key', 'same'], '--cert and --key are the same file'],
      [['--cert', ' ', '--key', 'k'], '--cert: expected a file name'],
      [['--cert', 'c', '--key', 'k', '--host', 'not a host'], '--host: "not a host" is neither an IP address nor a DNS name'],
      [['--cert', 'c', '--key', 'k', '--host', '[::1]'], '--host: "[::1]" is neither'],
      [['--cert', 'c', '--key', 'k', '--days', '0'], '--days: expected an integer from 1 to 3650, got "0"'],
      [['--cert', 'c', '--key', 'k', '--days', 'ten'], '--days: expected an integer from 1 to 3650']
    ]
    for (const [args, message] of cases) {
      const run = await plexi(dir.path, 'tls', 'selfsigned', ...args)
      expect(run.code, args.join(' ')).to.equal(2)
      expect(run.stderr, args.join(' ')).to.include(message)
    }
    for (const name of ['c', 'k', 'same']) expect(await stat(join(dir.path, name)).then(() => true, () => false), name).to.equal(false)
  })

  it('should be in the completion script, its file flags completing file names, and the clients\' --tls-ca too', async () => {
    const io: CliIo = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: dir.path }
    const script = completionScript(await plexiProgram(io), 'bash')
    expect(script).to.include("' tls selfsigned'")
    expect(script).to.match(/' tls selfsigned --cert'[^\n]*kind=file/)
    expect(script).to.match(/' tls selfsigned --key'[^\n]*kind=file/)
    expect(script).to.match(/' node start --tls-cert'[^\n]*kind=file/)
    expect(script).to.match(/' chat send --tls-ca'[^\n]*kind=file/)
    expect(script).to.match(/' admin top --tls-ca'[^\n]*kind=file/)
  })
})
