import { expect } from 'chai'
import { PluginProtocolError } from '../../../node/plugins/index.ts'
import { checkPlexiCapability } from '../../../node/plugins/plexi-capability.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('plexi capability', () => {
  it('should read none as none, and a valid one field for field', () => {
    expect(checkPlexiCapability('p', undefined)).to.equal(undefined)
    const c = { api: '1.0.0', commands: [{ name: 'roll', description: 'rolls dice' }], hooks: { beforePost: true, afterPost: false } }
    expect(checkPlexiCapability('p', c)).to.deep.equal(c)
    expect(checkPlexiCapability('p', { api: '1.2.0', extra: 1 })).to.deep.equal({ api: '1.2.0' })
  })

  it('should refuse a malformed one, naming the plugin and the field', () => {
    const cases: Array<[unknown, string]> = [
      [7, '(root)'], [{ api: 'v1' }, 'api'], [{ api: '1.0.0', commands: 'x' }, 'commands'],
      [{ api: '1.0.0', commands: [{ name: 'Roll', description: '' }] }, 'commands[0].name'],
      [{ api: '1.0.0', commands: [{ name: 'a', description: 'x' }, { name: 'a', description: 'y' }] }, 'commands[1].name'],
      [{ api: '1.0.0', commands: [{ name: 'a', description: 'x'.repeat(300) }] }, 'commands[0].description'],
      [{ api: '1.0.0', commands: Array.from({ length: 33 }, (_, i) => ({ name: `c${i}`, description: '' })) }, 'commands'],
      [{ api: '1.0.0', hooks: [] }, 'hooks'], [{ api: '1.0.0', hooks: { beforePost: 'yes' } }, 'hooks.beforePost']
    ]
    for (const [value, field] of cases) {
      const err = thrown(() => checkPlexiCapability('dice', value))
      expect(err, field).to.be.instanceOf(PluginProtocolError)
      expect(err.message).to.include(`plugin dice declared a bad capabilities.experimental.plexi: ${field}:`)
    }
  })
})
