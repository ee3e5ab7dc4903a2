import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ChunkStore, ChunkStoreLockedError } from '../../../node/backup/index.ts'
import { StoreLock } from '../../../node/backup/store-lock.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

const NODE = resolve('node_modules/.bin/node')

describe('StoreLock', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let store: ChunkStore | undefined
  beforeEach(async () => { dir = await tempDir('plexi-store-lock-') })
  afterEach(async () => {
    await store?.close()
    store = undefined
    await dir.remove()
  })

  it('should write its pid and start time, leave nothing else behind, and be taken again once released', async () => {
    const lock = await StoreLock.take(dir.path)
    expect(await readFile(join(dir.path, 'lock'), 'latin1')).to.equal(`${process.pid} ${performance.timeOrigin}\n`)
    expect(await readdir(dir.path)).to.deep.equal(['lock'])
    const again = await rejection(async () => await StoreLock.take(dir.path))
    expect(again).to.be.instanceOf(ChunkStoreLockedError)
    expect(again.message).to.match(/this process has it open already/)
    expect(await readdir(dir.path)).to.deep.equal(['lock'])
    await lock.release()
    await lock.release()
    expect(await readdir(dir.path)).to.deep.equal([])
    await (await StoreLock.take(dir.path)).release()
  })

  it('should refuse a lock file it does not know the format of, and leave it', async () => {
    await writeFile(join(dir.path, 'lock'), 'somebody else\n')
    expect((await rejection(async () => await StoreLock.take(dir.path))).message).to.match(/is not one this version writes/)
    expect(await readFile(join(dir.path, 'lock'), 'latin1')).to.equal('somebody else\n')
  })

  it('should refuse a second open of its directory until closed, and take over a lock its process left behind', async () => {
    store = await ChunkStore.open(dir.path)
    const err = await rejection(async () => await ChunkStore.open(dir.path))
    expect(err).to.be.instanceOf(ChunkStoreLockedError)
    expect((err as ChunkStoreLockedError).pid).to.equal(process.pid)
    await store.close()
    store = await ChunkStore.open(dir.path)
    await store.close()
    store = undefined

    // a lock of a process that has exited
    const child = spawn(NODE, ['-e', ''], { stdio: 'ignore' })
    await new Promise((resolve) => child.once('exit', resolve))
    await writeFile(join(dir.path, 'lock'), `${child.pid} 1700000000000\n`)
    store = await ChunkStore.open(dir.path)
    await store.close()
    // an earlier process of this pid (a restarted container's pid 1)
    await writeFile(join(dir.path, 'lock'), `${process.pid} 1700000000000.5\n`)
    store = await ChunkStore.open(dir.path)
    await store.close()
    store = undefined
    // a live process of another pid: the parent of this one
    await writeFile(join(dir.path, 'lock'), `${process.ppid} 1700000000000\n`)
    expect((await rejection(async () => await ChunkStore.open(dir.path))).name).to.equal('ChunkStoreLockedError')
  })
})
