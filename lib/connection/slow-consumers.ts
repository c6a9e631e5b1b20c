import type { ServerResponse } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import type { Server } from 'socket.io'
import { FST_SOCKETS_SLOW_CONSUMER } from '../errors.js'
import { ThinnedCount } from '../common/log.js'
import { compactListenerTable } from '../common/listener-table.js'
import { dropConnection, onEngineConnection, pendingPollResponse, websocketBufferedBytes, type EngineConnection } from './engine.js'

// A client that never reads makes the server buffer every answer and broadcast for it: a polling client that
// only POSTs never takes Engine.IO's write buffer; a websocket whose TCP window stays closed leaves its bytes in
// the socket, and Engine.IO queues the rest behind them. `maxInFlight` cannot help, as a request leaves the
// in-flight set once its answer is queued. So each connection's queued bytes are counted as packets are made,
// answers and broadcasts alike (every packet goes through Engine.IO's `packetCreate`), and a connection past
// `maxQueuedBytes` is dropped.

// One broadcast hands the same string to every recipient: its size is measured once, not once per socket.
let lastString: string | undefined
let lastBytes = 0

function sizeOf (data: unknown): number {
  if (typeof data === 'string') {
    if (data !== lastString) { lastString = data; lastBytes = Buffer.byteLength(data) }
    return lastBytes
  }
  if (data instanceof Uint8Array) return data.byteLength
  return 0
}

/** Counts one connection's queued bytes and drops it past the cap. */
class QueueBound {
  readonly #conn: EngineConnection
  readonly #limits: Limits
  /** Bytes in Engine.IO's write buffer (made, not flushed yet), but those of `#unmeasured`. */
  #buffered = 0
  /** The data of a packet queued while nothing else was: measured only if another comes before the flush. */
  #unmeasured: unknown
  /** Poll responses written but not taken by the network yet (a client may poll and never read); made on the first. */
  #polls: Set<ServerResponse> | undefined
  #dropped = false

  constructor (conn: EngineConnection, limits: Limits) {
    this.#conn = conn
    this.#limits = limits
  }

  /** The bytes held for the client: the write buffer, the websocket's buffer, the unread poll answers. */
  queued (): number {
    if (this.#unmeasured !== undefined) {
      this.#buffered += sizeOf(this.#unmeasured)
      this.#unmeasured = undefined
    }
    let n = this.#buffered + websocketBufferedBytes(this.#conn)
    if (this.#polls !== undefined) for (const res of this.#polls) n += res.writableLength
    return n
  }

  /** A packet is being queued: past the cap, the connection is dropped on the next tick. */
  add (data: unknown): void {
    if (this.#dropped) return
    const before = this.queued()
    // One message, however big, still goes out on its own: its size matters only if another follows it
    // before the flush. So an ack, flushed at once as a rule, is never measured (Buffer.byteLength of each
    // answer was ~0.2 µs a request in the profile of the 10,000-socket bench).
    if (before === 0) {
      this.#unmeasured = data
      return
    }
    const bytes = sizeOf(data)
    this.#buffered += bytes
    if (before + bytes <= this.#limits.maxQueuedBytes) return
    this.#dropped = true
    // Dropped on the next tick, not inside Engine.IO's send (which may be in the middle of a broadcast loop
    // or of an ack): the connection is marked and queues nothing more that counts.
    process.nextTick(dropSlow, this, before + bytes)
  }

  flushed (): void {
    this.#buffered = 0
    this.#unmeasured = undefined
    const res = pendingPollResponse(this.#conn)
    if (res === undefined || res.writableFinished) return
    const polls = (this.#polls ??= new Set())
    polls.add(res)
    const done = (): void => { polls.delete(res) }
    res.once('finish', done)
    res.once('close', done)
  }

  /** Ends the connection, logged (thinned across clients), and frees what it held. */
  drop (total: number): void {
    const { maxQueuedBytes, log, dropped } = this.#limits
    const conn = this.#conn
    const err = new FST_SOCKETS_SLOW_CONSUMER(total, maxQueuedBytes)
    const n = dropped.next() // client-driven: thinned across clients, once per client
    if (n !== undefined) {
      log.warn({ code: err.code, session: conn.id, address: conn.remoteAddress, transport: conn.transport?.name, queued: total, maxQueuedBytes, dropped: n },
        `fastify-sockets: ${err.message}`)
    }
    dropConnection(conn, err.code)
    if (this.#polls !== undefined) {
      for (const res of this.#polls) res.destroy()
      this.#polls.clear()
    }
  }
}

interface Limits { readonly maxQueuedBytes: number, readonly log: FastifyBaseLogger, readonly dropped: ThinnedCount }

const kBound = Symbol('fastify-sockets.queueBound')
type Bounded = EngineConnection & { [kBound]: QueueBound }

function dropSlow (bound: QueueBound, total: number): void { bound.drop(total) }

// Shared by every connection (Engine.IO calls them with the connection as `this`): a connection costs its
// counter, not closures.
function onPacketCreate (this: Bounded, packet: { data?: unknown }): void { this[kBound].add(packet.data) }
function onFlush (this: Bounded): void { this[kBound].flushed() }

/** Bounds the bytes queued for each client to `maxQueuedBytes`. */
export function boundQueues (io: Server, maxQueuedBytes: number, log: FastifyBaseLogger): void {
  const limits: Limits = { maxQueuedBytes, log, dropped: new ThinnedCount() }
  onEngineConnection(io, (conn) => {
    (conn as unknown as Bounded)[kBound] = new QueueBound(conn, limits)
    conn.on('packetCreate', onPacketCreate as (packet: { data?: unknown }) => void)
    conn.on('flush', onFlush as () => void)
    compactListenerTable(conn)
  })
}
