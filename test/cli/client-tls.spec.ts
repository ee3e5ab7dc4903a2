import { expect } from 'chai'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { CliIo } from '../../cli/cli-io.ts'
import { UsageError } from '../../cli/cli-errors.ts'
import { clientTls } from '../../cli/client-tls.ts'
import { plexiInProcess } from '../helpers/plexi-in-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'

/** Runs `plexi ARGS` in this process with `cwd`. */
async function plexi (cwd: string, ...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await plexiInProcess(args, { cwd })
}

describe('clientTls', () => {
  let dir: { path: string, remove: () => Promise<void> }
  before(async () => { dir = await tempDir() })
  after(async () => { await dir.remove() })
  const io = (env: Record<string, string> = {}): CliIo => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env, cwd: dir.path })
  const usage = async (promise: Promise<unknown>): Promise<string> => {
    const err = await promise.then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(UsageError)
    return (err as Error).message
  }

  it('should be plain without flags, the system\'s CAs with --tls or PLEXI_TLS=1, and trust a file with --tls-ca or PLEXI_TLS_CA', async () => {
    expect(await plexi(dir.path, 'tls', 'selfsigned', '--cert', 'ca.crt', '--key', 'ca.key')).to.include({ code: 0 })
    expect(await clientTls({}, io())).to.equal(undefined)
    expect(await clientTls({}, io({ PLEXI_TLS: '0' }))).to.equal(undefined)
    expect(await clientTls({ tls: true }, io())).to.deep.equal({ ca: undefined, caFile: undefined })
    expect(await clientTls({}, io({ PLEXI_TLS: '1' }))).to.deep.equal({ ca: undefined, caFile: undefined })
    const pem = await readFile(join(dir.path, 'ca.crt'))
    expect(await clientTls({ tlsCa: 'ca.crt' }, io())).to.deep.equal({ ca: pem, caFile: join(dir.path, 'ca.crt') })
    expect(await clientTls({}, io({ PLEXI_TLS_CA: 'ca.crt' }))).to.deep.equal({ ca: pem, caFile: join(dir.path, 'ca.crt') })
  })

  it('should refuse a CA file that cannot be read or holds no certificate, and a PLEXI_TLS that is no boolean', async () => {
    expect(await usage(clientTls({ tlsCa: 'missing.crt' }, io()))).to.match(/^--tls-ca: cannot read .*missing\.crt/)
    expect(await usage(clientTls({}, io({ PLEXI_TLS_CA: 'missing.crt' })))).to.match(/^PLEXI_TLS_CA: cannot read/)
    expect(await usage(clientTls({ tlsCa: 'ca.key' }, io()))).to.include('holds no PEM certificate')
    await writeFile(join(dir.path, 'bad.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    expect(await usage(clientTls({ tlsCa: 'bad.crt' }, io()))).to.include('certificate 1 in')
    expect(await usage(clientTls({}, io({ PLEXI_TLS: 'maybe' })))).to.equal('PLEXI_TLS: expected 1 or 0 (true or false), got "maybe"')
  })
})
