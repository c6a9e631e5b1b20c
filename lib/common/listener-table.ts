import { NullObject } from './values.js'

// An EventEmitter keeps its listeners in `_events`, an object Node makes with a null prototype, which V8
// holds in dictionary mode: an emitter with up to 3 event names takes ~250 bytes, with 4 or 5 ~355, with 6
// to 11 ~540. A socket.io socket the plugin bound listens to 9 (socket.io's `error`, the 7 verbs,
// `disconnect`; raw socket.io's bench server to 3), its Engine.IO connection to 5 (raw: 3). With the same
// entries in a fast-mode object with no inherited names, an emitter of 8 takes ~160. Node's own streams give their `_events` a
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
