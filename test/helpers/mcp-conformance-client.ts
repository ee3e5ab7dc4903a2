/**
 * The MCP conformance suite's client command (`conformance client --command "<node> <this file>"`):
 * the suite appends its test server's URL, names the scenario in MCP_CONFORMANCE_SCENARIO and,
 * for some, gives in MCP_CONFORMANCE_CONTEXT the credentials an admin would give when registering
 * the server. It is Plexi's own client for a server an admin registered: the registration is made
 * and checked as `plexi admin mcp-servers add` makes it (checkServerRegistration), and the plugin
 * host connects to it exactly as a plugins-role member's ServerSync has it do
 * (`PluginHost.addServer`: node/plugins' streamable HTTP transport, its OAuth through the SDK's
 * client auth: dynamic registration or the registration's client, the authorization code with
 * PKCE followed headless, client credentials), lists its tools, and calls each with arguments made
 * from its schema (as a model's call would be), then stops it. Exits 0 when all of it went through.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PluginHost } from '../../node/plugins/index.ts'
import { ServiceFailures } from '../../node/services/index.ts'
import { checkServerRegistration } from '../../protocols/index.ts'
import type { ServerAuth, ToolSpec } from '../../protocols/index.ts'

/** How an admin registers the scenario's server: its auth from the scenario's context. */
export function authOf (scenario: string, context: Record<string, unknown>): ServerAuth {
  const str = (key: string): string => {
    const value = context[key]
    if (typeof value !== 'string') throw new Error(`the scenario's context has no ${key}`)
    return value
  }
  switch (scenario) {
    case 'auth/client-credentials-basic': return { kind: 'client-credentials', clientId: str('client_id'), clientSecret: str('client_secret') }
    case 'auth/pre-registration': return { kind: 'oauth', clientId: str('client_id'), clientSecret: str('client_secret') }
    default:
      if (scenario === 'auth/client-credentials-jwt') throw new Error(`${scenario}: a registration takes no private key (private_key_jwt client authentication)`)
      if (scenario.startsWith('auth/cross-app-access')) throw new Error(`${scenario}: Plexi's client does not take identity-assertion grants`)
      return { kind: 'oauth' }
  }
}

/** Arguments a model could give `tool`: each required property a value of its type. */
export function argumentsFor (tool: Pick<ToolSpec, 'inputSchema'>): Record<string, unknown> {
  const schema = tool.inputSchema as { properties?: Record<string, { type?: unknown, enum?: unknown[] }>, required?: string[] }
  const args: Record<string, unknown> = {}
  for (const name of schema.required ?? []) {
    const property = schema.properties?.[name] ?? {}
    if (Array.isArray(property.enum) && property.enum.length > 0) args[name] = property.enum[0]
    else if (property.type === 'number' || property.type === 'integer') args[name] = Object.keys(args).length + 1
    else if (property.type === 'boolean') args[name] = true
    else if (property.type === 'array') args[name] = []
    else if (property.type === 'object') args[name] = {}
    else args[name] = 'plexi'
  }
  return args
}

/** The host's log: what it warns of on stderr (the suite shows it when a scenario fails). */
const log = {
  info: () => undefined,
  debug: () => undefined,
  warn: (_obj: object, msg: string) => { process.stderr.write(`plexi: ${msg}\n`) }
}

async function main (): Promise<void> {
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? ''
  const url = process.argv[2]
  if (url === undefined) throw new Error('usage: mcp-conformance-client.ts <server-url> (MCP_CONFORMANCE_SCENARIO names the scenario)')
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Record<string, unknown>
  const registration = checkServerRegistration({ name: 'conformance', description: scenario, transport: { kind: 'http', url, auth: authOf(scenario, context) } })
  const dataDir = await mkdtemp(join(tmpdir(), 'plexi-conformance-'))
  const host = await PluginHost.open({ dataDir, log, failures: new ServiceFailures() })
  try {
    await host.addServer(registration)
    for (const [i, tool] of host.tools().entries()) {
      const result = await host.call({ id: `call-${i + 1}`, name: tool.name, arguments: argumentsFor(tool) })
      if (result.isError) process.stderr.write(`plexi: ${tool.name} answered an error: ${result.text}\n`)
    }
  } finally {
    await host.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  main().then(() => { process.exit(0) }, (err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
