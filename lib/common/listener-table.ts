import { NullObject } from './values.js'

// An EventEmitter keeps its listeners in `_events`, an object Node makes with a null prototype, which V8
// holds in dictionary mode: ~250 bytes for up to 3 event names, ~540 for 6 to 11. A socket.io socket the
// plugin bound listens to 9 (socket.io's `error`, the 7 verbs, `disconnect`), its Engine.IO connection to 5,
// so for each of 10,000 sockets that table alone outweighed what the plugin keeps for it. The same entries
// in a fast-mode object with no inherited names take ~160 bytes. Node's own streams give their `_events` a
// fixed shape for the same reason; what EventEmitter does with the table (read it, add and delete names,
// replace it in removeAllListeners) works the same on either, so only the memory differs.

type Table = Record<string | symbol, unknown>

/**
 * Moves an emitter's listeners into a fast-mode table, in the same order. Leaves an emitter without the
 * table it knows (a future Node may keep listeners elsewhere) as it is.
 */
export function compactListenerTable (emitter: object): void {
  const holder = emitter as unknown as { _events?: unknown }
  const events = holder._events
  if (events === null || typeof events !== 'object') return
  const table = new NullObject<Table>()
  for (const name of Reflect.ownKeys(events)) table[name] = (events as Table)[name]
  holder._events = table
}
