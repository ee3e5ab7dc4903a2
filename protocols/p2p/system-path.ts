/**
 * The path of a system actor: the actor every node runs at a well-known address for one protocol
 * (`/migration`, `/replication`, …), which other nodes reach as `{ node, path }`. The version is
 * the version of the messages that path speaks: version 1 is the bare name, as these paths have
 * always been on the wire; a later version is `/<name>@<version>`, so that nodes of two versions
 * side by side (a rolling upgrade) each reach the protocol they speak, and an old node asked at a
 * path it does not have answers that no actor lives there rather than misreading the messages.
 */
export function systemPath (name: string, version: number): string {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new TypeError(`a system actor's name is lowercase letters, digits and '-' (up to 63), starting with a letter; got ${JSON.stringify(name)}`)
  if (!Number.isSafeInteger(version) || version < 1) throw new TypeError(`a system actor's version is a whole number of at least 1; got ${String(version)}`)
  return version === 1 ? `/${name}` : `/${name}@${version}`
}

/** The name and version a system path says (undefined: it is not one). */
export function parseSystemPath (path: string): { readonly name: string, readonly version: number } | undefined {
  const m = /^\/([a-z][a-z0-9-]{0,62})(?:@([1-9][0-9]{0,8}))?$/.exec(path)
  if (m === null) return undefined
  const version = m[2] === undefined ? 1 : Number(m[2])
  // version 1 is never written with its number: one path per (name, version)
  if (m[2] === '1') return undefined
  return { name: m[1] as string, version }
}
