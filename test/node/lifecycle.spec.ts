import { expect } from 'chai'
import { Lifecycle } from '../../node/lifecycle.ts'

describe('Lifecycle', () => {
  const quiet = { warn: () => undefined }

  it('should stop the parts in the reverse of their start order, once', async () => {
    const parts = new Lifecycle(quiet)
    const events: string[] = []
    for (const id of ['store', 'actors', 'mesh']) {
      const part = await parts.start(id, () => { events.push(`start ${id}`); return id }, (p) => { events.push(`stop ${p}`) })
      expect(part).to.equal(id)
    }
    expect(parts.started).to.deep.equal(['store', 'actors', 'mesh'])
    await Promise.all([parts.stop(), parts.stop()])
    expect(events).to.deep.equal(['start store', 'start actors', 'start mesh', 'stop mesh', 'stop actors', 'stop store'])
  })

  it('should stop what started when a later part fails to start, and start nothing more while stopping', async () => {
    const parts = new Lifecycle(quiet)
    const stopped: string[] = []
    await parts.start('store', () => 1, () => { stopped.push('store') })
    await parts.start('actors', async () => await Promise.resolve(2), () => { stopped.push('actors') })
    const failed = await parts.start('grpc', () => { throw new Error('port taken') }, () => { stopped.push('grpc') }).catch((e: Error) => e)
    expect(failed?.message).to.equal('port taken')
    await parts.stop()
    expect(stopped).to.deep.equal(['actors', 'store'])
    const late = await parts.start('admin', () => 3, () => undefined).then(() => undefined, (e: Error) => e)
    expect(late?.message).to.match(/cannot start admin: the node is stopping/)
  })

  it('should stop every part even when one fails to stop, and say which', async () => {
    const warned: string[] = []
    const parts = new Lifecycle({ warn: (_o, msg) => { warned.push(msg) } })
    const stopped: string[] = []
    await parts.start('store', () => 1, () => { stopped.push('store') })
    await parts.start('mesh', () => 2, () => { throw new Error('socket gone') })
    await parts.start('admin', () => 3, () => { stopped.push('admin') })
    await parts.stop()
    expect(stopped).to.deep.equal(['admin', 'store'])
    expect(warned).to.deep.equal(['stopping mesh failed: socket gone'])
  })

  it('should go on to the next part when one never finishes stopping, and say which', async () => {
    const warned: string[] = []
    const parts = new Lifecycle({ warn: (_o, msg) => { warned.push(msg) } }, { partStopMs: 20 })
    const stopped: string[] = []
    await parts.start('store', () => 1, () => { stopped.push('store') })
    // the journal's last writes to replicas that no longer answer: a promise that never settles
    await parts.start('actors', () => 2, async () => { await new Promise(() => undefined) })
    await parts.start('admin', () => 3, () => { stopped.push('admin') })
    await parts.stop()
    expect(stopped).to.deep.equal(['admin', 'store'])
    expect(warned).to.deep.equal(['stopping actors did not finish within 20 ms; stopping the rest'])
  })
})
