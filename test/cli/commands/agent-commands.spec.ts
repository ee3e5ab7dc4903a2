import { expect } from 'chai'
import { GrpcServices } from '../../helpers/grpc-services.ts'
import { runCli } from '../../helpers/node-process.ts'
import { plexiInProcess } from '../../helpers/plexi-in-process.ts'

/** The agent commands' own checks; their answers from a real node are in test/integration/agent.spec.ts. */
describe('agentCommands', function () {
  this.timeout(30_000)

  it('should name the command meant when an agent subcommand is misspelt', async () => {
    const result = await runCli(['agent', 'aks', 'hi'])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/unknown command 'aks'\n\(Did you mean ask\?\)/)
  })

  it('should refuse sampling and history bounds out of range before it connects, naming the flag', async () => {
    for (const [args, message] of [
      [['history', '--limit', '201'], /--limit: expected an integer from 1 to 200, got "201"/],
      [['configure', '--temperature', '3'], /--temperature: expected a number from 0 to 2, got "3"/],
      [['configure', '--top-p', 'most'], /--top-p: expected a number from 0 to 1/],
      [['configure', '--top-k', '1001'], /--top-k: expected an integer from 0 to 1000/],
      [['configure', '--max-tokens', '0'], /--max-tokens: expected an integer from 1 to 1048576/]
    ] as const) {
      const result = await plexiInProcess(['agent', ...args, '--addr', '127.0.0.1:1', '--token', 't'])
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr, args.join(' ')).to.match(message)
    }
  })

  it('should list the connection and output flags on ask, and take them before or after it', async () => {
    const help = await runCli(['agent', 'ask', '--help'])
    for (const flag of ['--addr', '--user', '--token', '--tls-ca', '--data-dir', '--json']) expect(help.stdout, flag).to.include(flag)
    for (const args of [['agent', '--addr', 'nowhere', 'ask', 'hi'], ['agent', 'ask', 'hi', '--addr', 'nowhere']]) {
      const result = await plexiInProcess([...args, '--token', 't'])
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr).to.match(/--addr: expected host:port/)
    }
  })
})

describe('agentCommands with tools (in process, against real gRPC services, a real agent, its tool policy and LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  const agent = async (...args: string[]) => await plexiInProcess(['agent', ...args, '--addr', s.address, '--token', s.annToken])

  beforeEach(async () => {
    s = await GrpcServices.start({}, {}, { tools: true })
    await s.toolPolicy.grant('ann', ['calc__add', 'clock__*'])
  })
  afterEach(async () => { await s.stop() })

  it('should print each tool call and its result on a line of their own between the answer\'s words, and keep them in the history', async () => {
    s.inference.steps.push({ say: 'Hello.' }, { text: 'Let me add.', call: [{ name: 'calc__add', arguments: { a: 2, b: 2 }, id: 'c1' }] }, { say: 'It is 4.' })
    // a first answer without tools, then one that says a word, calls, and answers
    expect((await agent('ask', 'hi')).stdout).to.equal('Hello.\n')
    const asked = await agent('ask', 'What is 2 + 2?')
    expect(asked.code, asked.stderr).to.equal(0)
    expect(asked.stdout).to.equal('Let me add.\n[tool calc__add {"a":2,"b":2}]\n[calc__add: 4]\nIt is 4.\n')
    const history = await agent('history')
    expect(history.stdout.split('\n').map((l) => l.slice(20))).to.deep.equal([
      'you: hi', 'agent: Hello.', 'you: What is 2 + 2?', 'agent: Let me add.', 'agent: [tool calc__add {"a":2,"b":2}]', 'tool calc__add: 4', 'agent: It is 4.', ''
    ])
    const turns = JSON.parse((await agent('history', '--json')).stdout) as Array<{ role: string, toolCalls: unknown[], toolName: string }>
    expect(turns[3]).to.deep.include({ role: 'assistant', toolCalls: [{ id: 'c1', name: 'calc__add', arguments: '{"a":2,"b":2}' }] })
    expect(turns[4]).to.deep.include({ role: 'tool', toolName: 'calc__add', isError: false })
  })

  it('should print the tool events as JSON at the end with --json, a failed call as failed', async () => {
    s.inference.steps.push({ call: [{ name: 'calc__add', arguments: { a: 'two' }, id: 'c1' }, { name: 'files__read', arguments: {}, id: 'c2' }] }, { say: 'Sorry.' })
    const asked = await agent('ask', 'add two', '--json')
    const out = JSON.parse(asked.stdout) as { text: string, stopReason: string, events: unknown[] }
    expect(out).to.deep.include({ text: 'Sorry.', stopReason: 'eos' })
    expect(out.events).to.deep.equal([
      { type: 'tool-call', id: 'c1', name: 'calc__add', arguments: { a: 'two' } },
      { type: 'tool-call', id: 'c2', name: 'files__read', arguments: {} },
      { type: 'tool-result', id: 'c1', name: 'calc__add', isError: true, text: 'a and b must be numbers', clipped: false },
      { type: 'tool-result', id: 'c2', name: 'files__read', isError: true, text: 'there is no tool files__read for you: call one of the tools you were given', clipped: false }
    ])
    s.inference.steps.push({ call: [{ name: 'calc__add', arguments: { a: 'two' }, id: 'c3' }] }, { say: 'Again.' })
    expect((await agent('ask', 'again')).stdout).to.equal('[tool calc__add {"a":"two"}]\n[calc__add failed: a and b must be numbers]\nAgain.\n')
  })

  it('should make the agent call the tool --tool names first, and refuse one it may not use or a malformed name, asking nothing', async () => {
    s.inference.steps.push({ call: [{ name: 'clock__now', arguments: {}, id: 'c1' }] }, { say: 'Now.' })
    const asked = await agent('ask', '--tool', 'clock__now', 'what time is it')
    expect(asked.code, asked.stderr).to.equal(0)
    expect(asked.stdout).to.match(/^\[tool clock__now \{\}\]\n\[clock__now: \d{4}-\d\d-\d\dT[^\]]+\]\nNow\.\n$/)
    expect(s.inference.prompts.map((p) => p.toolChoice)).to.deep.equal([{ name: 'clock__now' }, 'auto'])
    const denied = await agent('ask', '--tool', 'files__read', 'read it')
    expect([denied.code, denied.stdout]).to.deep.equal([1, ''])
    expect(denied.stderr).to.match(/ann may not call files__read: it is not among the tools your agent may use now/)
    const bad = await plexiInProcess(['agent', 'ask', '--tool', 'clock__*', 'hi', '--addr', '127.0.0.1:1', '--token', 't'])
    expect([bad.code, bad.stderr]).to.deep.equal([2, 'plexi: --tool: expected one tool named <source>__<tool>, got "clock__*"\n'])
    expect(s.inference.prompts).to.have.length(2)
  })

  it('should show the tools granted, turn them off and on, and list what the agent is offered', async () => {
    const shown = await agent('tools')
    expect(shown.stdout).to.equal('granted:     calc__add, clock__*\nyour agent\'s tools now:\n  clock__now  The time now, as an ISO 8601 date\n  calc__add   Adds two numbers\n')
    const off = await agent('tools', '--disable', 'clock__*', '--disable', 'calc__add')
    expect(off.stdout).to.equal('granted:     calc__add, clock__*\nturned off:  calc__add, clock__*\nyour agent uses no tools now\n')
    const on = JSON.parse((await agent('tools', '--enable', 'clock__now', '--json')).stdout)
    expect(on).to.deep.equal({ granted: ['calc__add', 'clock__*'], enabled: ['clock__now'], disabled: ['calc__add', 'clock__*'], tools: [{ name: 'clock__now', description: 'The time now, as an ISO 8601 date' }] })
    const denied = await agent('tools', '--enable', 'files__read')
    expect(denied.code).to.equal(1)
    expect(denied.stderr).to.match(/files__read is not granted to you/)
    const bad = await plexiInProcess(['agent', 'tools', '--enable', 'files', '--addr', '127.0.0.1:1', '--token', 't'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/--enable: expected tools named <source>__<tool> or <source>__\*, got "files"/)
  })
})
