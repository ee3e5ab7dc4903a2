import { Command } from 'commander'
import type * as grpc from '@grpc/grpc-js'
import { MAX_AGENT_TURNS } from '../../protocols/index.ts'
import { loadAgentService } from '../../protocols/grpc/index.ts'
import { NodeClient, cliError } from '../node-client.ts'
import { CliError } from '../cli-errors.ts'
import { printJson } from '../cli-io.ts'
import type { CliIo } from '../cli-io.ts'
import { chatConnection, withClientOptions, withFlags } from '../client-options.ts'
import type { ClientFlags } from '../client-options.ts'
import { decimal, integer, listed, toolName, toolNames } from '../flag-values.ts'
import { transferCommands } from './transfer-commands.ts'

interface WireDone {
  requestId: string
  model: string
  stopReason: string
  promptTokens: number
  completionTokens: number
  droppedTurns: number
  ttftMs: number
  durationMs: number
}

interface WireToolCall { id: string, name: string, arguments: string }
interface WireToolResult { id: string, name: string, isError: boolean, text: string, clipped: boolean }
interface WireAskEvent { started?: { requestId: string }, queued?: { position: number }, token?: { text: string }, done?: WireDone, toolCall?: WireToolCall, toolResult?: WireToolResult }
interface WireTurn {
  requestId: string, role: string, content: string, ts: number, stopReason: string, model: string,
  toolCalls?: WireToolCall[], toolCallId?: string, toolName?: string, isError?: boolean
}
interface WireTools { granted: string[], enabled: string[], disabled: string[], tools: Array<{ name: string, description: string }> }
interface WireSettings { persona: string, model: string, sampling: { temperature: number, topP: number, topK: number, maxTokens: number } }

type ConfigureFlags = ClientFlags & { persona?: string, model?: string, temperature?: string, topP?: string, topK?: string, maxTokens?: string }

export function agentCommands (io: CliIo): Command {
  // connection and output flags go before the subcommand or after it (the last one given wins)
  const agent = withClientOptions(new Command('agent')
    .description('talk to your own AI agent (token: --token, PLEXI_TOKEN, or the one `admin users add` saved for --user)'), 'chat')

  withClientOptions(agent.command('ask <text>'), 'chat')
    .description('ask your agent; its answer streams as it is made, with the tools it calls and what they answer on lines of their own (Ctrl-C stops it; --json prints the whole answer with its usage and its tool events at the end)')
    .option('--tool <name>', 'make your agent call this tool first (clock__now: one that `plexi agent tools` offers it); it chooses freely after')
    .action(withFlags(async (text: string, flags: ClientFlags & { tool?: string }) => { await ask(io, text, flags) }))

  withClientOptions(agent.command('history'), 'chat')
    .description('print your conversation with your agent, oldest first, with the tools it called and what they answered (--json: [{requestId, role, content, ts, stopReason, model, toolCalls, toolCallId, toolName, isError}])')
    .option('--limit <n>', `at most this many turns (1-${MAX_AGENT_TURNS})`, '50')
    .action(withFlags(async (flags: ClientFlags & { limit: string }) => {
      const limit = integer(flags.limit, '--limit', 1, MAX_AGENT_TURNS)
      await withClient(io, flags, async (client) => {
        const { turns } = await client.call<{ turns: WireTurn[] }>('History', { limit })
        if (flags.json === true) {
          printJson(io, turns)
          return
        }
        for (const t of turns) io.stdout.write(turnLines(t))
      })
    }))

  withClientOptions(agent.command('settings'), 'chat')
    .description('print your agent\'s persona, model and sampling settings')
    .action(withFlags(async (flags: ClientFlags) => {
      await withClient(io, flags, async (client) => { printSettings(io, flags, await client.call<WireSettings>('GetSettings', {})) })
    }))

  withClientOptions(agent.command('configure'), 'chat')
    .description('change your agent\'s persona, model or sampling; what you leave out stays')
    .option('--persona <text>', 'the system prompt ("" for the default)')
    .option('--model <name>', 'a model from `plexi admin models ls` ("" for the node\'s default)')
    .option('--temperature <t>', '0 (greedy) to 2')
    .option('--top-p <p>', '0 to 1')
    .option('--top-k <k>', '0 (off) to 1000')
    .option('--max-tokens <n>', 'longest answer in tokens')
    .action(withFlags(async (flags: ConfigureFlags) => {
      const request = {
        ...(flags.persona !== undefined && { persona: flags.persona }),
        ...(flags.model !== undefined && { model: flags.model }),
        ...(flags.temperature !== undefined && { temperature: decimal(flags.temperature, '--temperature', 0, 2) }),
        ...(flags.topP !== undefined && { topP: decimal(flags.topP, '--top-p', 0, 1) }),
        ...(flags.topK !== undefined && { topK: integer(flags.topK, '--top-k', 0, 1000) }),
        ...(flags.maxTokens !== undefined && { maxTokens: integer(flags.maxTokens, '--max-tokens', 1, 1_048_576) })
      }
      await withClient(io, flags, async (client) => { printSettings(io, flags, await client.call<WireSettings>('Configure', request)) })
    }))

  withClientOptions(agent.command('tools'), 'chat')
    .description('show the tools your agent may use (an admin grants them: `plexi admin users tools`), and turn them on or off for it: qualified names such as clock__now, or clock__* for every tool of a source')
    .option('--enable <tools>', 'turn these granted tools on (a comma-separated list; the flag may be repeated)', listed)
    .option('--disable <tools>', 'turn these tools off (a comma-separated list; the flag may be repeated)', listed)
    .action(withFlags(async (flags: ClientFlags & { enable?: string[], disable?: string[] }) => {
      const request = { enable: toolNames(flags.enable ?? [], '--enable'), disable: toolNames(flags.disable ?? [], '--disable') }
      await withClient(io, flags, async (client) => { printTools(io, flags, await client.call<WireTools>('Tools', request)) })
    }))

  withClientOptions(agent.command('reset'), 'chat')
    .description('forget your conversation with your agent (persona and settings stay)')
    .action(withFlags(async (flags: ClientFlags) => {
      await withClient(io, flags, async (client) => {
        const { turnsRemoved } = await client.call<{ turnsRemoved: number }>('Reset', {})
        if (flags.json === true) printJson(io, { turnsRemoved })
        else io.stdout.write(`forgot ${turnsRemoved} turns\n`)
      })
    }))

  transferCommands(agent, io, {
    kind: 'agent',
    connect: async (flags) => {
      const connection = await chatConnection(flags, io)
      return new NodeClient(connection.address, connection.token, loadAgentService(), connection.tls)
    }
  })
  return agent
}

async function withClient (io: CliIo, flags: ClientFlags, body: (client: NodeClient) => Promise<void>): Promise<void> {
  const connection = await chatConnection(flags, io)
  const client = new NodeClient(connection.address, connection.token, loadAgentService(), connection.tls)
  try {
    await body(client)
  } finally {
    client.close()
  }
}

function printSettings (io: CliIo, flags: ClientFlags, s: WireSettings): void {
  if (flags.json === true) {
    printJson(io, s)
    return
  }
  io.stdout.write(`persona:     ${s.persona}\nmodel:       ${s.model === '' ? '(the node\'s default)' : s.model}\n`)
  io.stdout.write(`temperature: ${s.sampling.temperature}\ntop-p:       ${s.sampling.topP}\ntop-k:       ${s.sampling.topK}\nmax-tokens:  ${s.sampling.maxTokens}\n`)
}

/** Streams the answer to stdout as it comes, each tool call and result on a line of its own;
 * Ctrl-C cancels the generation (and the agent keeps what it had said). `--tool`: the tool the
 * agent must call first. */
async function ask (io: CliIo, text: string, flags: ClientFlags & { tool?: string }): Promise<void> {
  const tool = flags.tool === undefined ? undefined : toolName(flags.tool, '--tool')
  await withClient(io, flags, async (client) => {
    const call = client.stream('Ask', { text, ...(tool !== undefined && { tool }) })
    const shown = new AnswerPrinter(io, flags.json === true)
    let interrupted = false
    const onSigint = (): void => {
      interrupted = true
      call.cancel()
    }
    process.once('SIGINT', onSigint)
    try {
      await new Promise<void>((resolve, reject) => {
        call.on('data', (event: WireAskEvent) => { shown.event(event) })
        call.on('error', (err: grpc.ServiceError) => {
          if (interrupted) resolve()
          else reject(cliError(err, client.address, client.tls))
        })
        call.on('end', () => { resolve() })
      })
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
    const done = shown.done
    if (flags.json === true) {
      printJson(io, { text: shown.answer, ...(done ?? { stopReason: 'cancelled' }), ...(shown.tools.length > 0 && { events: shown.tools }) })
      return
    }
    shown.endLine()
    if (interrupted) io.stderr.write('(stopped)\n')
    else if (done === undefined) throw new CliError('the answer ended without its end marker; the node may have stopped')
    else if (done.stopReason === 'max-tokens') io.stderr.write(`(cut at ${done.completionTokens} tokens: raise it with \`plexi agent configure --max-tokens N\`)\n`)
  })
}

/** An answer's events as `agent ask` shows them: its text as it comes, a tool call as
 * `[tool clock__now {"zone":"UTC"}]` and its result as `[clock__now: …]` (`[clock__now failed: …]`),
 * each on a line of its own; with --json, only collected. */
class AnswerPrinter {
  answer = ''
  done: WireDone | undefined
  /** The tool events, in order, as --json prints them. */
  readonly tools: Array<Record<string, unknown>> = []
  readonly #io: CliIo
  readonly #json: boolean
  #atLineStart = true

  constructor (io: CliIo, json: boolean) {
    this.#io = io
    this.#json = json
  }

  event (event: WireAskEvent): void {
    if (event.token != null) {
      this.answer += event.token.text
      this.#write(event.token.text)
    } else if (event.toolCall != null) {
      const c = event.toolCall
      this.tools.push({ type: 'tool-call', id: c.id, name: c.name, arguments: parsed(c.arguments) })
      this.#line(`[tool ${c.name} ${c.arguments}]`)
    } else if (event.toolResult != null) {
      const r = event.toolResult
      this.tools.push({ type: 'tool-result', id: r.id, name: r.name, isError: r.isError, text: r.text, clipped: r.clipped })
      this.#line(`[${r.name}${r.isError ? ' failed' : ''}: ${oneLine(r.text)}${r.clipped ? ' …' : ''}]`)
    } else if (event.queued != null && !this.#json) {
      this.#io.stderr.write(`(waiting: ${event.queued.position} ahead of you)\n`)
    } else if (event.done != null) {
      this.done = event.done
    }
  }

  /** Ends the answer's last line. */
  endLine (): void {
    this.#io.stdout.write('\n')
  }

  #line (text: string): void {
    this.#write(`${this.#atLineStart ? '' : '\n'}${text}\n`)
  }

  #write (text: string): void {
    if (this.#json || text === '') return
    this.#io.stdout.write(text)
    this.#atLineStart = text.endsWith('\n')
  }
}

/** A conversation's turn as `agent history` prints it: a line, or a line per tool call. */
function turnLines (t: WireTurn): string {
  const when = new Date(t.ts).toISOString().slice(0, 19).replace('T', ' ')
  if (t.role === 'tool') return `${when} tool ${t.toolName ?? ''}${t.isError === true ? ' failed' : ''}: ${oneLine(t.content)}\n`
  const who = t.role === 'user' ? 'you' : 'agent'
  const calls = t.toolCalls ?? []
  if (calls.length > 0) {
    const said = t.content.length > 0 ? `${when} ${who}: ${t.content}\n` : ''
    return said + calls.map((c) => `${when} ${who}: [tool ${c.name} ${c.arguments}]\n`).join('')
  }
  const note = t.role === 'assistant' && t.stopReason !== 'eos' ? ` [${t.stopReason}]` : ''
  return `${when} ${who}: ${t.content}${note}\n`
}

function printTools (io: CliIo, flags: ClientFlags, t: WireTools): void {
  if (flags.json === true) {
    printJson(io, t)
    return
  }
  const list = (names: string[]): string => (names.length === 0 ? '(none)' : names.join(', '))
  io.stdout.write(`granted:     ${list(t.granted)}\n`)
  if (t.disabled.length > 0) io.stdout.write(`turned off:  ${list(t.disabled)}\n`)
  if (t.enabled.length > 0) io.stdout.write(`turned on:   ${list(t.enabled)}\n`)
  if (t.tools.length === 0) {
    io.stdout.write('your agent uses no tools now\n')
    return
  }
  io.stdout.write('your agent\'s tools now:\n')
  const width = Math.max(...t.tools.map((tool) => tool.name.length))
  for (const tool of t.tools) io.stdout.write(`  ${tool.name.padEnd(width)}  ${oneLine(tool.description)}\n`)
}

/** Text on one line: its runs of white space (newlines among them) as one space. */
function oneLine (text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/** A JSON text as its value, or the text itself when it is not JSON. */
function parsed (json: string): unknown {
  try {
    return JSON.parse(json)
  } catch {
    return json
  }
}
