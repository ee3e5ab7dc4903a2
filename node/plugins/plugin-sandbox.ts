import { isAbsolute, resolve } from 'node:path'
import { DEFAULT_PLUGIN_MEMORY_MIB } from '../../protocols/index.ts'
import type { PluginManifest } from '../../protocols/index.ts'
import type { NetworkIsolation } from './network-isolation.ts'

/** How to start one plugin or registered stdio server, with what it may do: the command line (the
 * permission model's flags in it, inside a network namespace when it is denied the network), its
 * environment, its folder and its memory cap. */
export interface LaunchPlan {
  readonly command: string
  readonly args: readonly string[]
  readonly env: Readonly<Record<string, string>>
  /** Its data folder, `<data-dir>/plugins-data/<name>/`. */
  readonly cwd: string
  /** The RSS of its process tree at which it is killed. */
  readonly memoryBytes: number
  /** Whether it runs in a network namespace of its own (no network). False when it may use the
   * network, or when this machine cannot deny it (NetworkIsolation says why). */
  readonly offline: boolean
}

export interface PluginPlanInput {
  readonly manifest: PluginManifest
  /** The package's folder, symbolic links resolved. */
  readonly packageDir: string
  /** The plugin's data folder, symbolic links resolved. */
  readonly dataFolder: string
  readonly isolation: NetworkIsolation
  /** The Node.js that runs `node` entries: the node's own. @default process.execPath */
  readonly execPath?: string
  /** Where the variables the manifest asks for are read. @default process.env */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * A plugin's launch plan, from its manifest. A `node` entry runs under the node's own Node.js with
 * `--permission`: it reads its package and the paths granted under its data folder, writes only
 * where granted, spawns and loads addons only if asked, its heap capped at its memory cap. A
 * `command` entry runs as it is (the permission model is Node's; docs/plugins.md says what is
 * enforced then). Both get only the variables they asked for, their data folder as cwd, the RSS
 * watchdog and, without the network permission, a network namespace of their own.
 */
export function pluginPlan (input: PluginPlanInput): LaunchPlan {
  const { manifest, packageDir, dataFolder } = input
  const p = manifest.permissions
  const mib = p.memoryMiB ?? DEFAULT_PLUGIN_MEMORY_MIB
  const env = pickEnv(p.env ?? [], input.env ?? process.env)
  let command: string
  let args: string[]
  if ('node' in manifest.entry) {
    const inData = (rel: string): string => resolve(dataFolder, rel)
    const reads = [packageDir, ...(p.read ?? []).map(inData), ...(p.write ?? []).map(inData)]
    command = input.execPath ?? process.execPath
    args = [
      '--permission',
      ...unique(reads).map((path) => `--allow-fs-read=${path}`),
      ...unique((p.write ?? []).map(inData)).map((path) => `--allow-fs-write=${path}`),
      ...(p.childProcess === true ? ['--allow-child-process'] : []),
      ...(p.addons === true ? ['--allow-addons'] : []),
      `--max-old-space-size=${mib}`,
      '--',
      resolve(packageDir, manifest.entry.node)
    ]
  } else {
    command = resolve(packageDir, manifest.entry.command)
    args = [...(manifest.entry.args ?? [])]
  }
  return offline({ command, args, env, cwd: dataFolder, memoryBytes: mib * 1024 * 1024 }, p.network === true, input.isolation)
}

export interface ServerPlanInput {
  /** An absolute path, or a program's name looked up on the PATH it is given. */
  readonly command: string
  readonly args: readonly string[]
  /** The variables it gets: the admin's, over the usual few an MCP client passes on. */
  readonly env: Readonly<Record<string, string>>
  readonly dataFolder: string
  readonly network: boolean
  readonly memoryMiB: number
  readonly isolation: NetworkIsolation
}

/** An admin-registered stdio server's plan: its command as given, with the same folder, memory
 * watchdog and network isolation as a plugin's command entry. */
export function serverPlan (input: ServerPlanInput): LaunchPlan {
  return offline({
    command: input.command,
    args: [...input.args],
    env: { ...input.env },
    cwd: input.dataFolder,
    memoryBytes: input.memoryMiB * 1024 * 1024
  }, input.network, input.isolation)
}

/** Variables an MCP client passes on to a server it starts unless told otherwise (the SDK's
 * list, after sudo's): enough to find programs and a home; never the node's PLEXI_*. */
export const SERVER_BASE_ENV = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'] as const

/** The named variables of `from` that are set (functions exported by a shell aside), never PLEXI_*. */
export function pickEnv (names: readonly string[], from: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of names) {
    const value = from[name]
    if (value === undefined || value.startsWith('()') || name.startsWith('PLEXI_')) continue
    out[name] = value
  }
  return out
}

/** The plan inside a network namespace of its own, unless it may use the network or the machine
 * cannot deny it. */
function offline (plan: Omit<LaunchPlan, 'offline'>, network: boolean, isolation: NetworkIsolation): LaunchPlan {
  if (network || !isolation.available) return { ...plan, offline: false }
  // unshare runs the program with execvp: a bare name is found on the PATH the plan gives it
  return { ...plan, command: isolation.command, args: [...isolation.args, '--', plan.command, ...plan.args], offline: true }
}

function unique (paths: readonly string[]): string[] {
  return [...new Set(paths)]
}

/** Whether `command` names a program as a server registration must: an absolute path, or a bare
 * name (no slash) found on PATH. */
export function isServerCommand (command: string): boolean {
  return isAbsolute(command) || !command.includes('/')
}
