/** Appends `value` to the list `map` keeps under `key` (made when missing), in place: grouping
 * many values stays linear. */
export function pushTo<K, V> (map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}
