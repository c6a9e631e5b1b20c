import type { ServerOptions } from 'socket.io'
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter'
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter'
import type { AdapterKind, ResolvedClusterOptions } from './options.js'
import { StreamPublisher } from './stream-publisher.js'
import { alignReplay, type StreamEntry } from './session-replay.js'

// The socket.io adapter a cluster runs on, built in this one place, and guarded: Redis is a trust
// boundary, and the adapters trust what arrives on their channels. In @socket.io/redis-adapter 8.3.0 a
// message that fails to decode, or decodes to an unexpected shape, throws inside the node-redis listener
// (which leaves the client's reply decoder mid-message: that node hears nothing more, while its
// connection looks healthy) or rejects inside an async handler whose promise nobody holds (an
// unhandled rejection: the process dies). Every handler Redis messages reach is therefore wrapped: a
// throw or a rejection drops that one message, is reported, and delivery goes on. The streams adapter
// (0.3.1) has the same two holes: its pub/sub listener calls the async onMessage() without holding the
// promise, and a stream entry of the wrong shape throws in onMessage().

type AdapterFactory = NonNullable<ServerOptions['adapter']>
type Handler = (...args: unknown[]) => unknown

export type { AdapterKind }

/** A message an adapter could not handle: what it was (channel, size, first bytes) and why. */
export interface DroppedMessage {
  channel: string
  bytes: number
  /** Hex of the first 16 bytes. */
  head: string
  reason: string
}

interface HandlerSpec {
  /** The adapter's method every Redis message of its channels reaches (private to the adapter). */
  readonly name: string
  /** Positions of the channel (or, when no argument names it, what to call it) and the message among its arguments. */
  readonly channel: number | string
  readonly message: number
  /**
   * How a message the adapter itself drops in silence (it fails to decode) is told apart, so it is reported
   * too: `decoded` names the methods a decoded message goes on to; `precheck` decodes it first, as the
   * adapter does (only for channels that carry no broadcasts: it costs a second decode).
   */
  readonly decoded?: readonly string[]
  readonly precheck?: true
}

/** What an adapter needs of the cluster it runs in beyond its clients. */
export interface AdapterLink {
  /** A client the adapter made for itself: the cluster closes it with its own. */
  readonly adopt: (client: unknown) => void
  /** Runs when the cluster closes. */
  readonly onClose: (fn: () => void) => void
  /** A broadcast could not be handed to Redis (counted as dropped). */
  readonly drop: () => void
  readonly error: (kind: string, err: unknown) => void
  /** 'streams': the publisher of this node's entries, and each entry id its reader hands over. */
  readonly publisher: (publisher: StreamPublisher) => void
  readonly seen: (id: string) => void
  /** 'streams': how far the reader has read (stream-progress.ts); `reached('0-0', ms)` waits for it to start. */
  readonly position: () => string | undefined
  readonly reached: (id: string, ms: number) => Promise<void>
}

interface AdapterSpec {
  readonly create: (pub: unknown, sub: unknown, opts: ResolvedClusterOptions, link: AdapterLink) => (nsp: unknown) => object
  readonly handlers: readonly HandlerSpec[]
}

const ADAPTERS: Record<AdapterKind, AdapterSpec> = {
  pubsub: {
    create: (pub, sub, opts) => createAdapter(pub, sub, { key: opts.key, requestsTimeout: opts.timeout, publishOnSpecificResponseChannel: true }),
    // onmessage: the broadcast channel (pattern subscription); onrequest: request and response channels (async)
    handlers: [{ name: 'onmessage', channel: 1, message: 2 }, { name: 'onrequest', channel: 0, message: 1, precheck: true }]
  },
  sharded: {
    create: (pub, sub, opts) => createShardedAdapter(pub, sub, { channelPrefix: opts.key, subscriptionMode: opts.subscriptionMode }),
    // onMessage and onResponse are the adapter's documented hooks for its subclasses
    handlers: [{ name: 'onRawMessage', channel: 1, message: 0, decoded: ['onMessage', 'onResponse'] }]
  },
  streams: {
    create: (pub, _sub, opts, link) => {
      const stream = streamName(opts)
      const range = async (start: string, end: string): Promise<StreamEntry[]> =>
        await (pub as { xRange: (key: string, start: string, end: string) => Promise<StreamEntry[]> }).xRange(stream, nextId(start), end)
      const make = createStreamsAdapter(adopting(pub, link, stream), {
        streamName: stream,
        channelPrefix: opts.key,
        sessionKeyPrefix: `${opts.key}#session#`,
        maxLen: opts.streamMaxLength
      }) as unknown as (nsp: unknown) => Record<string, unknown>
      const publisher = new StreamPublisher(pub, streamName(opts), opts.streamMaxLength, { drop: link.drop, error: (err) => { link.error('stream publish', err) } })
      link.onClose(() => { publisher.close() })
      link.publisher(publisher)
      return (nsp) => {
        const adapter = publishingThrough(make(nsp), publisher)
        const onRawMessage = adapter.onRawMessage as (raw: unknown, offset: unknown) => unknown
        // seen once handled: the entry's broadcast is delivered (synchronously) before a change waiting on it applies
        adapter.onRawMessage = function reading (this: unknown, raw: unknown, offset: unknown): unknown {
          try { return onRawMessage.call(this, raw, offset) } finally { if (typeof offset === 'string') link.seen(offset) }
        }
        const restoreSession = adapter.restoreSession as (pid: string, offset: string) => Promise<{ rooms: string[], missedPackets: unknown[][] }>
        const decode = (adapter.constructor as unknown as { decode: (message: Record<string, string>) => { data?: { packet?: { data?: unknown[] }, opts?: { rooms?: string[], except?: string[] } } } }).decode
        const name = (nsp as { name: string }).name
        adapter.restoreSession = async function restoring (this: unknown, pid: string, offset: string) {
          const session = await restoreSession.call(this, pid, offset)
          // a client may reconnect to a node that has just started: its reader gets up to the cluster timeout
          if (link.position() === undefined) await link.reached('0-0', opts.timeout)
          return await alignReplay(session, offset, {
            range,
            readTo: link.position,
            broadcastOf: (entry) => {
              if (entry.message.nsp !== name || entry.message.type !== '3') return undefined
              const { packet, opts: options } = decode(entry.message).data ?? {}
              return { data: packet?.data ?? [], rooms: options?.rooms ?? [], except: options?.except ?? [] }
            }
          })
        }
        return adapter
      }
    },
    // onMessage: what its pub/sub listener decodes (async: a rejection nobody holds); onRawMessage: stream
    // entries (channel: the entry's id), which it decodes in silence
    handlers: [
      { name: 'onMessage', channel: 'pub/sub', message: 0 },
      { name: 'onRawMessage', channel: 1, message: 0, decoded: ['onMessage'] }
    ]
  }
}

// socket.io-adapter's MessageType: what the streams adapter sends by pub/sub rather than in the stream
const BROADCAST = 3
const FETCH_SOCKETS = 7
const SERVER_SIDE_EMIT = 9

// The adapter's stream entries go through the publisher (stream-publisher.ts); its ephemeral messages
// (requests, server-side emits) stay on pub/sub, as the adapter sends them.
function publishingThrough (adapter: Record<string, unknown>, publisher: StreamPublisher): Record<string, unknown> {
  const original = adapter.doPublish as (message: Record<string, unknown>) => Promise<string>
  const encode = adapter.encode as (message: Record<string, unknown>) => Record<string, string>
  adapter.doPublish = async function doPublish (this: unknown, message: Record<string, unknown>): Promise<string> {
    const data = message.data as { requestId?: unknown } | undefined
    const ephemeral = (message.type === BROADCAST && data?.requestId !== undefined) || message.type === FETCH_SOCKETS || message.type === SERVER_SIDE_EMIT
    if (ephemeral) return await original.call(this, message)
    return await publisher.publish(encode.call(this, message))
  }
  return adapter
}

// The id right after a stream id: XRANGE's start is inclusive, and '(' (exclusive) needs Redis 6.2.
function nextId (id: string): string {
  const [ms = '0', seq = '0'] = id.split('-')
  return `${ms}-${(BigInt(seq) + 1n).toString()}`
}

/** The Redis stream the streams adapter writes broadcasts to (one per cluster key). */
export function streamName (opts: ResolvedClusterOptions): string {
  return `${opts.key}#stream`
}

// The streams adapter duplicates the client it is given (a reader, blocked in XREAD, and a subscriber) and
// closes those only after its reader's next XREAD returns, calling disconnect() again on a client that may
// be closed by then (which throws, inside a promise nobody holds). The duplicates are handed to `adopt`,
// whose owner closes them with the rest, and their disconnect() is made idempotent.
//
// Its reader reads from '$' (what is added from now on) until it gets a first entry, and sends '$' again
// after each XREAD that timed out empty: an entry added between two such XREADs is never read (upstream),
// and where the reader started is unknown, so a change waiting for an entry from before it would wait its
// whole bound (stream-progress.ts). So '$' becomes a concrete id, the stream's last one, taken once on the
// reader's own connection just before its first XREAD: everything after it is read, and it counts as seen.
function adopting (client: unknown, link: AdapterLink, stream: string): unknown {
  return new Proxy(client as object, {
    get (target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (prop !== 'duplicate' || typeof value !== 'function') return value
      return (...args: unknown[]) => {
        const copy = (value as (...a: unknown[]) => Record<string, unknown>).apply(target, args)
        const disconnect = copy.disconnect as () => Promise<void>
        copy.disconnect = async (): Promise<void> => { if (copy.isOpen === true) await disconnect.call(copy) }
        const connect = copy.connect as () => Promise<unknown>
        // its first connection failing (the client destroyed while connecting) must not be an unhandled rejection
        copy.connect = async (): Promise<unknown> => await connect.call(copy).catch(() => copy)
        const xRead = copy.xRead as (streams: Array<{ key: string, id: string }>, options: unknown) => Promise<unknown>
        const xRevRange = copy.xRevRange as (key: string, end: string, start: string, options: { COUNT: number }) => Promise<Array<{ id: string }>>
        let start: string | undefined
        copy.xRead = async (streams: Array<{ key: string, id: string }>, options: unknown): Promise<unknown> => {
          if (streams.length === 1 && streams[0]?.key === stream && streams[0].id === '$') {
            if (start === undefined) {
              const [last] = await xRevRange.call(copy, stream, '+', '-', { COUNT: 1 })
              start = last?.id ?? '0-0'
              link.seen(start)
            }
            return await xRead.call(copy, [{ key: stream, id: start }], options)
          }
          return await xRead.call(copy, streams, options)
        }
        link.adopt(copy)
        return copy
      }
    }
  })
}

// Event names socket.io reserves; a server-side emit naming one (which socket.io refuses to send, but not
// to receive) would run the app's 'connection' listeners with a forged argument.
const RESERVED_EVENTS = new Set(['connect', 'connection', 'new_namespace', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'])

/**
 * The channel an adapter subscribes to when a room of this node is created (a join waits for that
 * subscription before it counts as visible to the other nodes); undefined when rooms have none.
 */
export function roomChannel (kind: AdapterKind, opts: ResolvedClusterOptions): ((room: string) => string) | undefined {
  // ShardedRedisAdapter.dynamicChannel(), namespace '/'
  if (kind === 'sharded' && opts.subscriptionMode !== 'static') return (room) => `${opts.key}#/#${room}#`
  return undefined
}

/** The adapter a cluster's options ask for. */
export function adapterKind (opts: ResolvedClusterOptions): AdapterKind {
  return opts.adapter
}

function describeDrop (args: unknown[], spec: HandlerSpec, reason: string): DroppedMessage {
  const raw = args[spec.message]
  const message = Buffer.isBuffer(raw) ? raw : Buffer.from(raw !== null && typeof raw === 'object' ? safeJson(raw) : String(raw))
  const channel = typeof spec.channel === 'string' ? spec.channel : String(args[spec.channel])
  return { channel: channel.slice(0, 200), bytes: message.length, head: message.subarray(0, 16).toString('hex'), reason }
}

function safeJson (value: object): string {
  try { return JSON.stringify(value) ?? '' } catch { return '[unserialisable]' }
}

function reasonOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

// Decodes as @socket.io/redis-adapter does (JSON when it starts with '{', else its parser); why not, or undefined.
function undecodable (raw: unknown, parser: { decode?: (raw: unknown) => unknown } | undefined): string | undefined {
  if (!Buffer.isBuffer(raw) || typeof parser?.decode !== 'function') return undefined
  let value: unknown
  try {
    value = raw[0] === 0x7b ? JSON.parse(raw.toString()) : parser.decode(raw)
  } catch (err) {
    return `undecodable: ${reasonOf(err)}`
  }
  return value !== null && typeof value === 'object' ? undefined : `not an object (${value === null ? 'null' : typeof value})`
}

/**
 * Builds the socket.io adapter of `kind` over the (guarded) clients, with every Redis message handler
 * wrapped so that a message it cannot handle is dropped and reported through `onDrop`, never thrown.
 * @throws Error when the installed adapter no longer has a handler by the expected name (an upgrade
 * must not silently leave it unguarded)
 */
export function clusterAdapter (kind: AdapterKind, pub: unknown, sub: unknown, opts: ResolvedClusterOptions,
  onDrop: (dropped: DroppedMessage) => void, link: AdapterLink): AdapterFactory {
  const spec = ADAPTERS[kind]
  const make = spec.create(pub, sub, opts, link)
  // socket.io calls it with `new` (a function returning an object, as the adapter's own factories are)
  const factory = function guardedAdapter (nsp: unknown): object {
    const adapter = make(nsp) as Record<string, unknown>
    for (const handler of spec.handlers) {
      const original = method(adapter, handler.name, kind)
      let reached = false
      for (const name of handler.decoded ?? []) {
        const next = method(adapter, name, kind)
        adapter[name] = function decoded (this: unknown, ...args: unknown[]): unknown { reached = true; return next.apply(this, args) }
      }
      // An own property shadows the prototype's method: the adapter's listeners call this.<name>(...).
      adapter[handler.name] = function guarded (this: unknown, ...args: unknown[]): unknown {
        try {
          if (handler.precheck === true) {
            const problem = undecodable(args[handler.message], adapter.parser as { decode?: (raw: unknown) => unknown } | undefined)
            if (problem !== undefined) { onDrop(describeDrop(args, handler, problem)); return undefined }
          }
          reached = false
          const result = original.apply(this, args)
          if (handler.decoded !== undefined && !reached) onDrop(describeDrop(args, handler, 'undecodable'))
          if (result instanceof Promise) return result.catch((err: unknown) => { onDrop(describeDrop(args, handler, reasonOf(err))) })
          return result
        } catch (err) {
          onDrop(describeDrop(args, handler, reasonOf(err)))
          return undefined
        }
      }
    }
    guardServerSideEmit(nsp as Record<string, unknown>, onDrop)
    return adapter
  }
  return factory as unknown as AdapterFactory
}

function method (adapter: Record<string, unknown>, name: string, kind: AdapterKind): Handler {
  const fn = adapter[name]
  if (typeof fn !== 'function') throw new Error(`fastify-sockets: the ${kind} adapter has no ${name}() to guard`)
  return fn as Handler
}

function guardServerSideEmit (nsp: Record<string, unknown>, onDrop: (dropped: DroppedMessage) => void): void {
  const original = nsp._onServerSideEmit
  if (typeof original !== 'function') throw new Error('fastify-sockets: socket.io namespaces have no _onServerSideEmit() to guard')
  nsp._onServerSideEmit = function guarded (this: unknown, args: unknown): void {
    if (!Array.isArray(args) || typeof args[0] !== 'string' || RESERVED_EVENTS.has(args[0])) {
      const name = Array.isArray(args) ? String(args[0]).slice(0, 64) : typeof args
      onDrop({ channel: 'server-side emit', bytes: 0, head: '', reason: `not an emit of an unreserved event name (${name})` })
      return
    }
    (original as Handler).call(this, args)
  }
}
