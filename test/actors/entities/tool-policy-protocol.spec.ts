import { expect } from 'chai'
import { InvalidMessageError, checkToolPolicyMsg, grantCovers, isToolPattern, toolPermitted } from '../../../actors/index.ts'
import { MAX_TOOL_NAMES_PER_CHANGE, TOOL_PATTERN, qualifiedToolName } from '../../../protocols/index.ts'
import type { ToolSpec } from '../../../protocols/index.ts'
import { toolPolicyMessage } from '../../helpers/entity-messages.ts'
import { onlyRefusals, refusalOf } from '../../helpers/message-check-tests.ts'

const tool = (source: string, name: string): Pick<ToolSpec, 'name' | 'source'> => ({ name: `${source}__${name}`, source: { kind: 'plugin', name: source } })

describe('tool patterns', () => {
  it('should take a qualified tool name or a source\'s *, as the contract names tools, and nothing else', () => {
    for (const ok of ['clock__now', 'clock__*', 'my-plugin__get_time', 'a__B-9', `s__${'t'.repeat(61)}`, qualifiedToolName('memory', 'read_graph')]) {
      expect(isToolPattern(ok), String(ok)).to.equal(true)
      expect(new RegExp(TOOL_PATTERN).test(String(ok))).to.equal(true)
    }
    for (const bad of ['clock', 'clock__', '__now', 'Clock__now', 'clock_now', 'clock__now!', 'clock__n*', '*', 'clock__**', `s__${'t'.repeat(62)}`, `${'s'.repeat(25)}__t`, 'clock__now\n', 5, undefined]) {
      expect(isToolPattern(bad), String(bad)).to.equal(false)
    }
  })

  it('should permit a tool granted by name or by its source\'s *, unless its user turned it off, the most precise switch winning', () => {
    const policy = (granted: string[], enabled: string[] = [], disabled: string[] = []) => ({ granted, enabled, disabled })
    expect(toolPermitted(policy([]), tool('clock', 'now'))).to.equal(false)
    expect(toolPermitted(policy(['clock__now']), tool('clock', 'now'))).to.equal(true)
    expect(toolPermitted(policy(['clock__now']), tool('clock', 'zone'))).to.equal(false)
    expect(toolPermitted(policy(['clock__*']), tool('clock', 'zone'))).to.equal(true)
    expect(toolPermitted(policy(['clock__*']), tool('clocks', 'zone'))).to.equal(false)
    expect(toolPermitted(policy(['clock__*'], [], ['clock__zone']), tool('clock', 'zone'))).to.equal(false)
    expect(toolPermitted(policy(['clock__*'], [], ['clock__*']), tool('clock', 'now'))).to.equal(false)
    expect(toolPermitted(policy(['clock__*'], ['clock__now'], ['clock__*']), tool('clock', 'now'))).to.equal(true)
    // a switch on never grants
    expect(toolPermitted(policy([], ['clock__now']), tool('clock', 'now'))).to.equal(false)
  })

  it('should count a tool as granted when its name or its source\'s * is, and a source\'s * when any of its tools is', () => {
    expect(grantCovers(['clock__now'], 'clock__now')).to.equal(true)
    expect(grantCovers(['clock__*'], 'clock__zone')).to.equal(true)
    expect(grantCovers(['clock__now'], 'clock__zone')).to.equal(false)
    expect(grantCovers(['clock__now'], 'clock__*')).to.equal(true)
    expect(grantCovers(['calc__add'], 'clock__*')).to.equal(false)
  })
})

describe('checkToolPolicyMsg', () => {
  const replyTo = { askId: '1', node: 'peer' }
  const refused = refusalOf(checkToolPolicyMsg, InvalidMessageError)

  it('should pass the messages the admin API and the Agent service send a policy', () => {
    for (const msg of [
      { type: 'get', replyTo },
      { type: 'grant', tools: ['clock__*', 'calc__add'], replyTo },
      { type: 'revoke', tools: ['clock__*'], replyTo },
      { type: 'switch', user: 'ann', enable: ['clock__now'], disable: [], replyTo },
      { type: 'switch', user: 'ann', enable: [], disable: ['clock__*'], replyTo }
    ]) expect(refused(msg), JSON.stringify(msg)).to.equal('')
  })

  it('should refuse a malformed change naming the field, never echoing a long value', () => {
    expect(refused({ type: 'grant', tools: [], replyTo })).to.equal('tool policy message grant: tools: expected at least one tool, got an array')
    expect(refused({ type: 'grant', tools: 'clock__now', replyTo })).to.match(/^tool policy message grant: tools: expected an array of at most 64 tools, got "clock__now"/)
    expect(refused({ type: 'grant', tools: Array.from({ length: MAX_TOOL_NAMES_PER_CHANGE + 1 }, (_, i) => `s__t${i}`), replyTo })).to.match(/tools: expected an array of at most 64 tools/)
    expect(refused({ type: 'revoke', tools: ['clock__now', 'CLOCK'], replyTo })).to.match(/^tool policy message revoke: tools: expected tools named <source>__<tool> or <source>__\*/)
    expect(refused({ type: 'revoke', tools: ['clock__now', 'clock__now'], replyTo })).to.equal('tool policy message revoke: tools: expected each tool once, got an array')
    expect(refused({ type: 'switch', user: 'ann', enable: [], disable: [], replyTo })).to.match(/switch: enable: expected at least one tool to enable or disable/)
    expect(refused({ type: 'switch', user: 'ann', enable: ['clock__now'], disable: ['clock__now'], replyTo })).to.match(/switch: enable: expected no tool that is also disabled/)
    expect(refused({ type: 'switch', user: 'Ann!', enable: ['clock__now'], disable: [], replyTo })).to.match(/switch: user: expected a user name/)
    expect(refused({ type: 'grant', tools: ['clock__now'] })).to.match(/grant: replyTo: expected a reply address/)
    expect(refused({ type: 'drop', replyTo })).to.equal('tool policy message: unknown type "drop"; expected one of get, grant, revoke, switch')
    expect(refused({ type: 'grant', tools: ['x'.repeat(10_000)], replyTo }).length).to.be.below(300)
  })

  it('should throw nothing but InvalidMessageError, whatever arrives', () => {
    onlyRefusals(checkToolPolicyMsg, toolPolicyMessage(), { runs: 2000, minPassed: 100, classes: [InvalidMessageError] })
  })
})
