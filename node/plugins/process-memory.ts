import { readFile, readdir } from 'node:fs/promises'

/** Processes of one tree read at most (a plugin that forks without end is killed for its memory
 * long before). */
const MAX_TREE = 256

/**
 * The resident memory (bytes) of process `pid` and its descendants, read from /proc (Linux): the
 * process's VmRSS plus each child's, found through /proc/<pid>/task/<tid>/children. Undefined
 * where there is no /proc or the process is gone. Reads are async and small: the node's event loop
 * never waits on them.
 */
export async function treeRss (pid: number): Promise<number | undefined> {
  const own = await rssOf(pid)
  if (own === undefined) return undefined
  let total = own
  const seen = new Set([pid])
  const queue = await childrenOf(pid)
  while (queue.length > 0 && seen.size < MAX_TREE) {
    const next = queue.shift() as number
    if (seen.has(next)) continue
    seen.add(next)
    total += (await rssOf(next)) ?? 0
    queue.push(...await childrenOf(next))
  }
  return total
}

async function rssOf (pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
    // a zombie has no VmRSS line: it holds no memory
    return m === null ? 0 : Number(m[1]) * 1024
  } catch {
    return undefined
  }
}

async function childrenOf (pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`)
    const out: number[] = []
    for (const tid of tasks) {
      const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')
      for (const word of text.split(/\s+/)) if (/^\d+$/.test(word)) out.push(Number(word))
    }
    return out
  } catch {
    return []
  }
}
