import { expect } from 'chai'
import { gzipSync } from 'node:zlib'
import { InvalidPluginPackageError, MAX_ENTRY_BYTES, MAX_PACKAGE_ENTRIES, MAX_UNPACKED_BYTES, readPackage } from '../../../node/plugin-registry/index.ts'
import { manifestEntry, pluginPackage, rawTgz, testManifest } from '../../helpers/plugin-packages.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const refusal = (tgz: Buffer): string => {
  try {
    readPackage(tgz)
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidPluginPackageError)
    return (err as Error).message
  }
  throw new Error('expected a refusal')
}

describe('readPackage', () => {
  it('should read a packed folder: its files, folders and manifest', async () => {
    const dir = await tempDir()
    try {
      const pkg = readPackage(await pluginPackage(dir.path, { files: { 'lib/util.mjs': 'export const x = 1', 'assets/deep/a.txt': 'a' } }))
      expect(pkg.manifest).to.deep.equal(testManifest())
      expect(pkg.files.map((f) => f.path).sort()).to.deep.equal(['assets/deep/a.txt', 'lib/util.mjs', 'plexi-plugin.json', 'server.mjs'])
      expect([...pkg.dirs].sort()).to.deep.equal(['assets', 'assets/deep', 'lib'])
      expect(pkg.files.find((f) => f.path === 'lib/util.mjs')?.bytes.toString()).to.equal('export const x = 1')
    } finally {
      await dir.remove()
    }
  })

  it('should take off npm pack\'s single top folder, keep only an execute bit, and read pax and GNU long names', () => {
    const pkg = readPackage(rawTgz([
      { name: 'package/', type: '5' },
      manifestEntry({}, 'package/plexi-plugin.json'),
      { name: 'package/bin/run', body: '#!/bin/sh', mode: 0o4755 },
      { name: 'PaxHeader', type: 'x', body: paxPath(`package/${'abcdefghij/'.repeat(12)}long.txt`) },
      { name: 'package/short-name', body: 'long' },
      { name: '././@LongLink', type: 'L', body: `package/${'e'.repeat(120)}` },
      { name: 'package/cut', body: 'gnu' }
    ]))
    expect(pkg.files.map((f) => [f.path.slice(0, 30), f.mode])).to.deep.equal([['plexi-plugin.json', 0o644], ['bin/run', 0o755], ['abcdefghij/abcdefghij/abcdefgh', 0o644], ['e'.repeat(30), 0o644]])
    expect(pkg.files[2]?.path).to.equal(`${'abcdefghij/'.repeat(12)}long.txt`)
    expect(pkg.dirs).to.deep.equal([])
  })

  it('should refuse links, devices, escapes, absolute paths, duplicates and damaged archives', () => {
    const m = manifestEntry()
    expect(refusal(rawTgz([m, { name: 'evil', type: '2', linkname: '/etc/passwd' }]))).to.equal('evil is a symbolic link: a package holds files and folders only')
    expect(refusal(rawTgz([m, { name: 'hard', type: '1', linkname: 'plexi-plugin.json' }]))).to.equal('hard is a hard link: a package holds files and folders only')
    expect(refusal(rawTgz([m, { name: 'dev', type: '3' }]))).to.equal('dev is a character device: a package holds files and folders only')
    expect(refusal(rawTgz([m, { name: 'fifo', type: '6' }]))).to.match(/fifo is a fifo/)
    expect(refusal(rawTgz([m, { name: '../../.ssh/authorized_keys', body: 'key' }]))).to.equal('the entry "../../.ssh/authorized_keys" climbs out of the package with ..')
    expect(refusal(rawTgz([m, { name: 'lib/../../x', body: 'x' }]))).to.match(/climbs out/)
    expect(refusal(rawTgz([m, { name: '/etc/cron.d/x', body: 'x' }]))).to.match(/has an absolute path/)
    expect(refusal(rawTgz([m, { name: 'a\\..\\b', body: 'x' }]))).to.match(/backslash/)
    expect(refusal(rawTgz([m, { name: 'x', body: '1' }, { name: './x', body: '2' }]))).to.equal('the package holds x twice')
    expect(refusal(rawTgz([m, { name: 'PaxHeader', type: 'x', body: paxPath('../up') }, { name: 'ok', body: '' }]))).to.match(/climbs out/)
    expect(refusal(rawTgz([m], { badSum: true }))).to.match(/is damaged \(its checksum does not match\)/)
    expect(refusal(rawTgz([m], { noEnd: true }))).to.match(/has no end/)
    expect(refusal(Buffer.from('not gzip'))).to.match(/^the package is not a gzipped tar/)
    expect(refusal(rawTgz([{ name: 'server.mjs', body: '' }]))).to.equal('the package has no plexi-plugin.json at its root')
    expect(refusal(rawTgz([{ name: 'plexi-plugin.json', body: '{nope' }]))).to.match(/^plexi-plugin.json is not JSON/)
  })

  it('should refuse what is too large before it reads it: an entry, the whole once unpacked, too many entries', () => {
    expect(refusal(rawTgz([manifestEntry(), { name: 'big', size: MAX_ENTRY_BYTES + 1 }]))).to.equal(`an entry of the package is ${MAX_ENTRY_BYTES + 1} bytes, over ${MAX_ENTRY_BYTES}`)
    // a gzip bomb: zeros compress a thousand times over
    const bomb = gzipSync(Buffer.alloc(MAX_UNPACKED_BYTES + 4_096))
    expect(bomb.byteLength).to.be.below(1_000_000)
    expect(refusal(bomb)).to.equal(`the package unpacks to more than ${MAX_UNPACKED_BYTES} bytes`)
    const many = Array.from({ length: MAX_PACKAGE_ENTRIES + 1 }, (_, i) => ({ name: `f${i}`, body: '' }))
    expect(refusal(rawTgz([manifestEntry(), ...many]))).to.equal(`the package holds more than ${MAX_PACKAGE_ENTRIES} entries`)
    expect(refusal(rawTgz([{ name: 'plexi-plugin.json', body: ' '.repeat(70_000) }]))).to.match(/plexi-plugin.json is 70000 bytes, over 65536/)
    expect(refusal(rawTgz([manifestEntry(), { name: `${'a/'.repeat(33)}x`, body: '' }]))).to.match(/has a path over 512 characters or 32 folders deep/)
  })
})

/** A pax header's body naming a path. */
function paxPath (path: string): string {
  const body = ` path=${path}\n`
  let length = body.length + 2
  while (String(length).length + body.length !== length) length = String(length).length + body.length
  return `${length}${body}`
}
