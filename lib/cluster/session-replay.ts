import { compareIds } from './stream-progress.js'

// A recovered socket gets what it missed from the streams adapter's restoreSession, which reads the stream
// with XRANGE on one connection while this node's reader hands new entries to the rooms from XREAD on
// another. The socket joins its rooms only once restoreSession returns, so the two must meet exactly:
// - the reader ahead of the replay's end (its XREAD answer processed before the last, empty, XRANGE answer:
//   Redis writes both in one turn, and the order the two connections are read in is not fixed): the entries
//   in between went to rooms the socket was not in yet, and are lost unless replayed too;
// - the reader behind it: the entries in between reach the socket live once it joined, and a replay of them
//   too would deliver them twice.
// So the replay is made to end where the reader is when the socket joins: extended by what the reader read
// past it, trimmed of what the reader has yet to read.

/** An entry of the stream, as node-redis returns it. */
export interface StreamEntry { id: string, message: Record<string, string> }

export interface ReplayDeps {
  /** Entries from `start` (exclusive) to `end` (inclusive). */
  readonly range: (start: string, end: string) => Promise<StreamEntry[]>
  /** The last entry this node's reader handed over, or where it starts; undefined until it has started. */
  readonly readTo: () => string | undefined
  /** A stream entry's packet and broadcast options, when it is a broadcast of this namespace. */
  readonly broadcastOf: (entry: StreamEntry) => { data: unknown[], rooms: string[], except: string[] } | undefined
}

interface RestoredSession { rooms: string[], missedPackets: unknown[][] }

// the streams adapter appends the entry id to each missed packet's data: the client's next offset
const idOf = (data: readonly unknown[]): string => data[data.length - 1] as string

/** Whether a broadcast reaches a socket in `rooms` (the rule restoreSession applies to the entries it reads). */
export function reaches (sessionRooms: readonly string[], rooms: readonly string[], except: readonly string[]): boolean {
  return (rooms.length === 0 || sessionRooms.some((room) => rooms.includes(room))) && sessionRooms.every((room) => !except.includes(room))
}

/**
 * Makes a restored session's missed packets end where this node's reader is; the caller joins the socket to its
 * rooms without yielding to I/O after this resolves. `offset` is the client's own.
 */
export async function alignReplay<S extends RestoredSession> (session: S, offset: string, deps: ReplayDeps): Promise<S> {
  const missed = session.missedPackets
  let end = missed.length > 0 ? idOf(missed[missed.length - 1] as unknown[]) : offset
  for (;;) {
    const reader = deps.readTo()
    // not started: it will start at the stream's end, after entries this replay cannot know it missed
    if (reader === undefined) throw new Error('fastify-sockets: the stream reader has not started: the session is not recovered')
    if (compareIds(reader, end) <= 0) {
      while (missed.length > 0 && compareIds(idOf(missed[missed.length - 1] as unknown[]), reader) > 0) missed.pop()
      return session
    }
    // the entries between the replay's end and the reader (those that match a room were not in the replay:
    // they were read after it) went to rooms the socket was not in yet
    for (const entry of await deps.range(end, reader)) {
      const broadcast = deps.broadcastOf(entry)
      if (broadcast !== undefined && reaches(session.rooms, broadcast.rooms, broadcast.except)) missed.push([...broadcast.data, entry.id])
    }
    end = reader
  }
}
