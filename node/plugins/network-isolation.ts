import { spawn } from 'node:child_process'
import { access, constants } from 'node:fs/promises'

/**
 * How a plugin without the network permission is kept off the network. Node 24's permission model
 * does not cover sockets (`--permission` restricts the file system, child processes, workers,
 * addons, WASI and the inspector; `--allow-net` came in Node 25): a plugin under it can still
 * connect and listen. So on Linux the plugin's process is started in a network namespace of its
 * own (`unshare --net`), which holds only a loopback interface that is down: every connect fails
 * (ENETUNREACH, even to 127.0.0.1) and nothing it listens on can be reached. That needs root
 * (CAP_SYS_ADMIN), or unprivileged user namespaces (`unshare --map-current-user --net`: the
 * plugin keeps its own uid). Where neither works the node says so at start and plugins run with
 * the node's network.
 */
export type NetworkIsolation =
  | { readonly available: true, readonly command: string, readonly args: readonly string[], readonly how: string }
  | { readonly available: false, readonly why: string }

/** Where util-linux's unshare is looked for (a fixed list: the node's PATH is not trusted). */
const UNSHARE_PATHS = ['/usr/bin/unshare', '/bin/unshare', '/usr/sbin/unshare', '/sbin/unshare']
/** A probe that has not exited by then failed (unshare returns at once either way). */
const PROBE_TIMEOUT_MS = 5_000

/** Finds how this machine can deny a plugin the network: tries the namespace for real (running
 * `execPath --version` in it), as root first, then through a user namespace. */
export async function probeNetworkIsolation (execPath: string = process.execPath): Promise<NetworkIsolation> {
  if (process.platform !== 'linux') return { available: false, why: `network namespaces are Linux's (this is ${process.platform})` }
  const unshare = await firstExecutable(UNSHARE_PATHS)
  if (unshare === undefined) return { available: false, why: `unshare (util-linux) was not found in ${UNSHARE_PATHS.join(', ')}` }
  const tries: Array<{ args: string[], how: string }> = []
  if (process.getuid?.() === 0) tries.push({ args: ['--net'], how: `${unshare} --net (a network namespace of its own: the node runs as root)` })
  tries.push({ args: ['--map-current-user', '--net'], how: `${unshare} --map-current-user --net (a network namespace in a user namespace, same uid)` })
  const failures: string[] = []
  for (const t of tries) {
    const why = await runs(unshare, [...t.args, '--', execPath, '--version'])
    if (why === undefined) return { available: true, command: unshare, args: t.args, how: t.how }
    failures.push(`${t.args.join(' ')}: ${why}`)
  }
  return { available: false, why: `unshare could not make a network namespace (${failures.join('; ')}): run the node as root or allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)` }
}

async function firstExecutable (paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) {
    try {
      await access(p, constants.X_OK)
      return p
    } catch {}
  }
  return undefined
}

/** Undefined when `command args` exits 0 within PROBE_TIMEOUT_MS, else why not. */
function runs (command: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: {} })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { if (stderr.length < 500) stderr += chunk.toString('utf8') })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, PROBE_TIMEOUT_MS)
    child.on('error', (err) => { clearTimeout(timer); resolve(err.message) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve(code === 0 ? undefined : (stderr.trim().split('\n')[0] ?? '') || `exit ${code ?? signal ?? '?'}`)
    })
  })
}
