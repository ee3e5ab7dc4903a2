import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { packPluginDir } from '../../cli/plugin-pack.ts'
import type { Installed } from '../../node/plugin-registry/index.ts'
import type { RunningSource } from '../../node/plugins/index.ts'
import type { Components, NodeComponents } from '../../node/root/index.ts'
import { waitFor } from './wait-for.ts'

/** The example plugins kept in the repository (docs/plugins/examples/<name>/). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../docs/plugins/examples', import.meta.url))

export type ExampleName = 'clock' | 'moderation'

/** Changes to an example for a copy of it: its version, and manifest fields over its own. */
export interface ExampleChange {
  readonly version?: string
  readonly manifest?: Readonly<Record<string, unknown>>
}

/** The example's folder as kept, or, with a change, a copy of it under `parent` with its manifest
 * changed (the code as it is). */
export async function exampleDir (name: ExampleName, change?: ExampleChange, parent?: string): Promise<string> {
  const kept = join(EXAMPLES_DIR, name)
  if (change === undefined) return kept
  if (parent === undefined) throw new Error('a changed example needs a folder to be copied to')
  const named = typeof change.manifest?.name === 'string' ? change.manifest.name : name
  const dir = join(parent, `${named}-${change.version ?? 'copy'}`)
  await cp(kept, dir, { recursive: true })
  const manifest = JSON.parse(await readFile(join(dir, 'plexi-plugin.json'), 'utf8')) as Record<string, unknown>
  await writeFile(join(dir, 'plexi-plugin.json'), JSON.stringify({ ...manifest, ...(change.version !== undefined && { version: change.version }), ...change.manifest }, null, 2))
  return dir
}

/** The example's package, packed by the CLI's packer as `plexi admin plugins install <dir>` packs it. */
export async function examplePackage (name: ExampleName, change?: ExampleChange, parent?: string): Promise<Buffer> {
  return await packPluginDir(await exampleDir(name, change, parent))
}

/** What a started node (test/helpers/node-parts-fixture.ts, up to the plugin registry's part, with
 * the plugins role) is asked here. */
type Node = Components<NodeComponents>

/** The version of `name` up on the node's host, once it is (bounded). */
export async function awaitRunning (c: Node, name: string, version: string): Promise<RunningSource> {
  const host = c.get('pluginHost')
  if (host === undefined) throw new Error('the node runs no plugin host (no plugins role)')
  const find = (): RunningSource | undefined => host.running().find((r) => r.name === name && r.version === version && r.state === 'up' && r.active)
  await waitFor(() => find() !== undefined, `${name} ${version} up and active on the node`, { timeout: 20_000, interval: 20 })
  return find() as RunningSource
}

/** Installs a package through the node's registry (as the admin API does), has its reconciler run
 * it now, waits until it is up, and has the rooms read the plugins' commands and hooks again. */
export async function installOnNode (c: Node, bytes: Uint8Array): Promise<{ installed: Installed, running: RunningSource }> {
  const installed = await c.get('pluginRegistry').install(bytes, 'admin')
  return { installed, running: await settle(c, installed.plugin.name, installed.version) }
}

/** Makes `version` of `name` active (an upgrade or a rollback already asked of the registry) and
 * waits as installOnNode does. */
export async function settle (c: Node, name: string, version: string): Promise<RunningSource> {
  await c.get('pluginReconciler')?.reconcile()
  const running = await awaitRunning(c, name, version)
  await c.get('roomPluginsPort').refresh()
  return running
}
