import { expect } from 'chai'
import fc from 'fast-check'
import { InvalidMessageError, checkPluginCatalogMsg, manifestBytes } from '../../../actors/index.ts'
import { MAX_MANIFEST_BYTES } from '../../../protocols/plugins/index.ts'
import { onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'

const DIGEST = 'a'.repeat(64)
const replyTo = { askId: 'a1', node: 'n1' }
const manifest = (name = 'clock', version = '1.0.0'): object => ({
  name, version, description: 'tells the time', plexi: '^1.0.0', entry: { node: 'server.mjs' }, permissions: {}
})
const install = { type: 'install', name: 'clock', version: '1.0.0', manifest: manifest(), digest: DIGEST, size: 10, by: 'admin', ts: 1, replyTo }
const report = { version: '1.0.0', state: 'running', restarts: 0, error: null, at: 5 }

/** Catalog messages, well formed or nearly: each field its right shape or a wrong one. */
function catalogMessage (): fc.Arbitrary<unknown> {
  const field = fc.oneof(fc.constant('clock'), fc.constant('1.0.0'), fc.integer(), fc.constant(null), fc.boolean(), fc.anything())
  return fc.record({
    type: fc.constantFrom('install', 'activate', 'rollback', 'set-enabled', 'remove', 'report', 'list', 'get', 'drop'),
    replyTo: fc.oneof(fc.constant(replyTo), fc.anything()),
    name: fc.oneof(fc.constant('clock'), fc.string({ maxLength: 30 }), field),
    version: fc.oneof(fc.constant('1.0.0'), fc.constant('1.0.0-rc.1'), fc.string({ maxLength: 12 }), field),
    manifest: fc.oneof(fc.constant(manifest()), field),
    digest: fc.oneof(fc.constant(DIGEST), field),
    size: fc.oneof(fc.constant(10), field),
    by: fc.oneof(fc.constant('admin'), field),
    ts: fc.oneof(fc.constant(1), field),
    enabled: fc.oneof(fc.boolean(), field),
    node: fc.oneof(fc.constant('n1'), field),
    report: fc.oneof(fc.constant(report), fc.record({ version: field, state: fc.oneof(fc.constant('running'), field), restarts: field, error: field, at: field }), field)
  }, { requiredKeys: ['type', 'replyTo'] })
}

describe('checkPluginCatalogMsg', () => {
  const refusal = refusalOf(checkPluginCatalogMsg, InvalidMessageError)

  it('should pass each message a node sends', () => {
    for (const msg of [
      install,
      { ...install, version: '2.0.0-rc.1', manifest: manifest('clock', '2.0.0-rc.1') },
      { type: 'activate', name: 'clock', version: '1.1.0', ts: 1, replyTo },
      { type: 'rollback', name: 'clock', ts: 1, replyTo },
      { type: 'set-enabled', name: 'clock', enabled: false, ts: 1, replyTo },
      { type: 'remove', name: 'clock', replyTo },
      { type: 'report', name: 'clock', node: 'n1', report, replyTo },
      { type: 'report', name: 'clock', node: 'n1', report: { ...report, version: null, state: 'failed', error: 'exited with code 1' }, replyTo },
      { type: 'list', replyTo },
      { type: 'get', name: 'clock', replyTo }
    ]) expect(refusal(msg), msg.type).to.equal('')
  })

  it('should refuse names and versions that could not name a folder, and manifests that are not this plugin\'s', () => {
    expect(refusal({ ...install, name: '../etc' })).to.match(/name: expected a plugin name/)
    expect(refusal({ ...install, name: 'Clock' })).to.match(/name/)
    expect(refusal({ ...install, version: '../1.0.0' })).to.match(/version: expected a plugin version/)
    expect(refusal({ ...install, version: '1.0' })).to.match(/version/)
    expect(refusal({ ...install, version: '1.0.0+build' })).to.match(/version/)
    expect(refusal({ ...install, manifest: manifest('other') })).to.match(/manifest: expected a manifest whose name is clock/)
    expect(refusal({ ...install, manifest: manifest('clock', '9.9.9') })).to.match(/manifest whose version is 1.0.0/)
    expect(refusal({ ...install, manifest: { ...manifest(), description: 'x'.repeat(MAX_MANIFEST_BYTES) } })).to.match(/at most 65536 bytes/)
    expect(refusal({ ...install, manifest: 'clock' })).to.match(/manifest: expected an object/)
    expect(refusal({ ...install, digest: 'ABC' })).to.match(/digest/)
    expect(refusal({ ...install, size: 0 })).to.match(/size/)
    expect(refusal({ ...install, by: '' })).to.match(/by/)
    expect(refusal({ type: 'set-enabled', name: 'clock', enabled: 'yes', ts: 1, replyTo })).to.match(/enabled: expected true or false/)
    expect(refusal({ type: 'report', name: 'clock', node: 'n1', report: { ...report, state: 'dancing' }, replyTo })).to.match(/report\.state/)
    expect(refusal({ type: 'report', name: 'clock', node: 'n1', report: { ...report, error: 'x'.repeat(501) }, replyTo })).to.match(/report\.error/)
    expect(refusal({ type: 'report', name: 'clock', node: 'n1', report: { ...report, restarts: -1 }, replyTo })).to.match(/report\.restarts/)
    expect(refusal({ type: 'list' })).to.match(/replyTo/)
    expect(refusal({ type: 'drop', replyTo })).to.equal('plugin catalog message: unknown type "drop"; expected one of install, activate, rollback, set-enabled, remove, report, list, get')
    expect(refusal({ type: 'constructor', replyTo })).to.match(/unknown type "constructor"/)
  })

  it('should count a manifest\'s bytes as JSON', () => {
    expect(manifestBytes({ a: 'é' })).to.equal(Buffer.byteLength('{"a":"é"}'))
  })

  it('should throw nothing but InvalidMessageError, whatever arrives', () => {
    onlyRefusals(checkPluginCatalogMsg, catalogMessage(), { runs: 2_000, minPassed: 20, classes: [InvalidMessageError] })
  })
})
