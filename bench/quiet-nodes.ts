import { readFile } from 'node:fs/promises'

/** CPU seconds (user + system) a process has used, from /proc. */
export async function cpuOf (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Waits (at most `maxMs`) until the processes together use under a tenth of a core over
 * `windowMs` (a node merges its LevelDB files, snapshots and replicates what was written long after
 * the writes were answered: a load measured then measures that too); the ms it waited. */
export async function quietNodes (pids: readonly number[], opts: { readonly windowMs: number, readonly maxMs: number }): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < opts.maxMs) {
    const before = await Promise.all(pids.map(cpuOf))
    await new Promise((resolve) => setTimeout(resolve, opts.windowMs))
    const after = await Promise.all(pids.map(cpuOf))
    if (after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0) < opts.windowMs / 1000 / 10) break
  }
  return performance.now() - started
}
