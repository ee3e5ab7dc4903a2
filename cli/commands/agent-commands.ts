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
import { decimal, integer } from '../flag-values.ts'

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

interface WireTurn { requestId: string, role: string, content: string, ts: number, stopReason: string, model: string }
interface WireSettings { persona: string, model: string, sampling: { temperature: number, topP: number, topK: number, maxTokens: number } }

type ConfigureFlags = ClientFlags & { persona?: string, model?: string, temperature?: string, topP?: string, topK?: string, maxTokens?: string }

export function agentCommands (io: CliIo): Command {
  // connection and output flags go before the subcommand or after it (the last one given wins)
  const agent = withClientOptions(new Command('agent')
    .description('talk to your own AI agent (token: --token, PLEXI_TOKEN, or the one `admin users add` saved for --user)'), 'chat')

  withClientOptions(agent.command('ask <text>'), 'chat')
    .description('ask your agent; its answer streams as it is made (Ctrl-C stops it; --json prints the whole answer with its usage at the end)')
    .action(withFlags(async (text: string, flags: ClientFlags) => { await ask(io, text, flags) }))

  withClientOptions(agent.command('history'), 'chat')
    .description('print your conversation with your agent, oldest first (--json: [{requestId, role, content, ts, stopReason, model}])')
    .option('--limit <n>', `at most this many turns (1-${MAX_AGENT_TURNS})`, '50')
    .action(withFlags(async (flags: ClientFlags & { limit: string }) => {
      const limit = integer(flags.limit, '--limit', 1, MAX_AGENT_TURNS)
      await withClient(io, flags, async (client) => {
        const { turns } = await client.call<{ turns: WireTurn[] }>('History', { limit })
        if (flags.json === true) {
          printJson(io, turns)
          return
        }
        for (const t of turns) {
          const when = new Date(t.ts).toISOString().slice(0, 19).replace('T', ' ')
          const note = t.role === 'assistant' && t.stopReason !== 'eos' ? ` [${t.stopReason}]` : ''
          io.stdout.write(`${when} ${t.role === 'user' ? 'you' : 'agent'}: ${t.content}${note}\n`)
        }
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

  withClientOptions(agent.command('reset'), 'chat')
    .description('forget your conversation with your agent (persona and settings stay)')
    .action(withFlags(async (flags: ClientFlags) => {
      await withClient(io, flags, async (client) => {
        const { turnsRemoved } = await client.call<{ turnsRemoved: number }>('Reset', {})
        if (flags.json === true) printJson(io, { turnsRemoved })
        else io.stdout.write(`forgot ${turnsRemoved} turns\n`)
      })
    }))
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

/** Streams the answer to stdout as it comes; Ctrl-C cancels the generation (and the agent keeps
 * what it had said). */
async function ask (io: CliIo, text: string, flags: ClientFlags): Promise<void> {
  await withClient(io, flags, async (client) => {
    const call = client.stream('Ask', { text })
    let answer = ''
    let done: WireDone | undefined
    let interrupted = false
    const onSigint = (): void => {
      interrupted = true
      call.cancel()
    }
    process.once('SIGINT', onSigint)
    try {
      await new Promise<void>((resolve, reject) => {
        call.on('data', (event: { started?: { requestId: string }, queued?: { position: number }, token?: { text: string }, done?: WireDone }) => {
          if (event.token !== undefined) {
            answer += event.token.text
            if (flags.json !== true) io.stdout.write(event.token.text)
          } else if (event.queued !== undefined && flags.json !== true) {
            io.stderr.write(`(waiting: ${event.queued.position} ahead of you)\n`)
          } else if (event.done !== undefined) {
            done = event.done
          }
        })
        call.on('error', (err: grpc.ServiceError) => {
          if (interrupted) resolve()
          else reject(cliError(err, client.address, client.tls))
        })
        call.on('end', () => { resolve() })
      })
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
    if (flags.json === true) {
      printJson(io, { text: answer, ...(done ?? { stopReason: 'cancelled' }) })
      return
    }
    io.stdout.write('\n')
    if (interrupted) io.stderr.write('(stopped)\n')
    else if (done === undefined) throw new CliError('the answer ended without its end marker; the node may have stopped')
    else if (done.stopReason === 'max-tokens') io.stderr.write(`(cut at ${done.completionTokens} tokens: raise it with \`plexi agent configure --max-tokens N\`)\n`)
  })
}
