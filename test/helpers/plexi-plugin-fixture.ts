/**
 * A small MCP plugin for specs, run as its own process (`node plexi-plugin-fixture.ts`) and spoken
 * to over stdio, as the node speaks to a real plugin: the official SDK's server, declaring
 * `capabilities.experimental.plexi` and answering Plexi's requests (protocols/plugins). What it
 * declares comes from PLEXI_FIXTURE (JSON: FixtureConfig); every request it gets is appended to
 * `log` (one JSON line each), so that a spec reads what the plugin saw, across restarts.
 *
 * Commands: `/echo <args>` answers the args; `/upper <args>` them upper-cased; `/slow <ms> <text>`
 * answers after ms; `/mute` answers ''; `/big` more text than a post may hold; `/bad` no text;
 * `/fail` an error; `/exit` kills the process. Before-post: refuses text with `forbidden`, waits
 * 5 s on `slowhook`, dies on `crashhook`, answers nonsense on `garbage`, allows the rest.
 * After-post: acknowledges, or fails while the file `<log>.down` exists (logged as `refused`).
 */
import { appendFileSync, existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'

export interface FixtureConfig {
  readonly commands?: readonly string[]
  readonly afterPost?: boolean
  readonly beforePost?: boolean
  readonly log: string
}

const config = JSON.parse(process.env.PLEXI_FIXTURE ?? '{}') as FixtureConfig
const server = new Server({ name: 'plexi-fixture', version: '1.0.0' }, {
  capabilities: {
    experimental: {
      plexi: {
        api: '1.0.0',
        commands: (config.commands ?? []).map((name) => ({ name, description: `the fixture's /${name}` })),
        hooks: { afterPost: config.afterPost === true, beforePost: config.beforePost === true }
      }
    }
  }
})

type Params = Record<string, unknown>

async function command (params: Params): Promise<unknown> {
  const args = String(params.args ?? '')
  switch (params.command) {
    case 'echo': return { text: args }
    case 'upper': return { text: args.toUpperCase() }
    case 'slow': {
      const [ms, ...rest] = args.split(' ')
      await sleep(Number(ms))
      return { text: rest.join(' ') }
    }
    case 'mute': return { text: '' }
    case 'big': return { text: 'x'.repeat(1_048_577) }
    case 'bad': return { nope: true }
    case 'fail': throw new Error('the dice fell off the table')
    case 'exit': process.exit(1)
    default: return { text: `unknown /${String(params.command)}` }
  }
}

async function beforePost (params: Params): Promise<unknown> {
  const text = String(params.text)
  if (text.includes('forbidden')) return { verdict: 'refuse', reason: 'the word "forbidden" is not allowed here' }
  if (text.includes('slowhook')) await sleep(5_000)
  if (text.includes('crashhook')) process.exit(3)
  if (text.includes('garbage')) return { verdict: 'maybe' }
  return { verdict: 'allow' }
}

/** `down`: the file was there when the request was logged (looked at once: a file removed between
 * two looks had the request logged as refused and acknowledged all the same). */
function afterPost (down: boolean): unknown {
  if (down) throw new Error('the fixture is down')
  return {}
}

server.fallbackRequestHandler = async (request) => {
  const params = (request.params ?? {}) as Params
  // an after-post request refused while down is logged as such (a spec counts what was taken)
  const down = request.method === 'plexi/after-post' && existsSync(`${config.log}.down`)
  appendFileSync(config.log, JSON.stringify({ method: down ? 'refused' : request.method, params }) + '\n')
  switch (request.method) {
    case 'plexi/command': return await command(params) as never
    case 'plexi/before-post': return await beforePost(params) as never
    case 'plexi/after-post': return afterPost(down) as never
    default: throw new Error(`no method ${request.method}`)
  }
}

await server.connect(new StdioServerTransport())
