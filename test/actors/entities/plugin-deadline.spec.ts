import { expect } from 'chai'
import { PluginDeadlineError } from '../../../actors/index.ts'
import { withinDeadline } from '../../../actors/entities/plugin-deadline.ts'
import { kindOf } from '../../../protocols/index.ts'

describe('withinDeadline', () => {
  it('should pass an answer or a failure that comes in time through, and reject with a timeout naming the plugin and method after it', async () => {
    expect(await withinDeadline(Promise.resolve(5), 1_000, 'p', 'plexi/command')).to.equal(5)
    const failed = await withinDeadline(Promise.reject(new Error('no')), 1_000, 'p', 'plexi/command').then(() => undefined, (e: unknown) => e as Error)
    expect(failed?.message).to.equal('no')
    const late = await withinDeadline(new Promise(() => undefined), 20, 'dice', 'plexi/command').then(() => undefined, (e: unknown) => e as Error)
    expect(late).to.be.instanceOf(PluginDeadlineError)
    expect(kindOf(late)).to.equal('timeout')
    expect(late?.message).to.equal('plugin dice did not answer plexi/command within 20 ms')
  })
})
