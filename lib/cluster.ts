import type { FastifyBaseLogger } from 'fastify'
import type { Server, ServerOptions } from 'socket.io'
import { createClient } from 'redis'
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter'
import type { ResolvedClusterOptions, RedisClientLike } from './options.js'
import { type Membership, applyLocal, localMembers, localRooms } from './membership.js'
import { ClusterBus, isUp, type BusClient } from './cluster-bus.js'

/**
 * Health of this node's link to the cluster: `fastify.sockets.cluster` (undefined without the
 * `cluster` option). Wire `ready` to your readiness probe.
 *
 * @example
 * ```ts
 * app.get('/health/ready', async (request, reply) => {
 *   const cluster = app.sockets.cluster
 *   if (cluster !== undefined && !cluster.ready) return reply.code(503).send(cluster.status())
 *   return { ready: true }
 * })
 * ```
 */
export interface ClusterHealth {
  /** Connected to Redis and subscribed: broadcasts reach other nodes, cluster-wide operations can succeed. */
  readonly ready: boolean
  /** This node's id (the name other nodes' errors use for it). */
  readonly nodeId: string
  /** A snapshot for a health route or metrics. */
  status (): ClusterStatus
}

/** What `fastify.sockets.cluster.status()` reports. */
export interface ClusterStatus {
  ready: boolean
  nodeId: string
  /** The other live nodes (heard from within heartbeatTimeout). */
  nodes: string[]
  /** Epoch ms of the last change of `ready`. */
  since: number
  /** Cross-node publishes dropped because Redis was down (their local delivery happened). */
  dropped: number
}

// How often one kind of Redis error may be logged; the rest are counted into the next line.
const LOG_EVERY_MS = 10_000
// Publishes and (un)subscriptions the adapter fires without awaiting or catching: they must never become
// unhandled rejections (a Redis blip would otherwise crash the process; socket.io-redis-emitter#139).
const FIRE_AND_FORGET = new Set(['publish', 'sPublish', 'subscribe', 'pSubscribe', 'sSubscribe', 'unsubscribe', 'pUnsubscribe', 'sUnsubscribe'])
const PUBLISH = new Set(['publish', 'sPublish'])

/** Logs the first error of each kind at once, then at most one line per LOG_EVERY_MS with a count. */
class ThrottledLog {
  readonly #log: FastifyBaseLogger
  readonly #last = new Map<string, { at: number, suppressed: number }>()

  constructor (log: FastifyBaseLogger) {
    this.#log = log
  }

  error (kind: string, err: unknown): void {
    const now = Date.now()
    const entry = this.#last.get(kind)
    if (entry !== undefined && now - entry.at < LOG_EVERY_MS) { entry.suppressed++; return }
    const e = err as { message?: unknown, code?: unknown }
    this.#log.error({ cluster: kind, err: { message: String(e?.message ?? err), code: e?.code }, suppressed: entry?.suppressed ?? 0 },
      `fastify-sockets cluster: ${kind} error`)
    this.#last.set(kind, { at: now, suppressed: 0 })
  }
}

/**
 * What the adapter sees of a client: the same client, except that
 * - fire-and-forget commands are caught (and logged, throttled);
 * - publishes are dropped (counted) while Redis is down, instead of piling up in the offline queue and
 *   flushing late, possibly before the subscriber is back;
 * - (un)subscriptions made while Redis is down wait for 'ready': node-redis 5 corrupts its reply queue
 *   when a queued SUBSCRIBE meets its own resubscription on connect (messages then fail with
 *   "Cannot read properties of undefined (reading 'value')").
 */
interface Guarded<T> {
  client: T
  /** Resolves when the (un)subscriptions sent so far are answered. */
  settled: () => Promise<void>
  dispose: () => void
}

function guard<T extends RedisClientLike> (client: T, onError: (kind: string, err: unknown) => void, onDrop: () => void): Guarded<T> {
  const cache = new Map<PropertyKey, unknown>()
  const deferred: Array<() => void> = []
  const inflight = new Set<Promise<unknown>>()
  const flush = (): void => { while (isUp(client) && deferred.length > 0) deferred.shift()?.() }
  client.on('ready', flush)
  const proxy = new Proxy(client, {
    get (target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function' || prop === 'constructor') return value
      let fn = cache.get(prop)
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown
        const call = (args: unknown[]): Promise<unknown> => {
          try {
            return Promise.resolve(method.apply(target, args)).catch((err: unknown) => { onError(String(prop), err) })
          } catch (err) {
            onError(String(prop), err)
            return Promise.resolve(undefined)
          }
        }
        if (PUBLISH.has(prop as string)) {
          fn = (...args: unknown[]) => {
            if (!isUp(target)) { onDrop(); return Promise.resolve(0) }
            return call(args)
          }
        } else if (FIRE_AND_FORGET.has(prop as string)) {
          fn = (...args: unknown[]) => {
            if (isUp(target) && deferred.length === 0) {
              const sent = call(args)
              inflight.add(sent)
              void sent.finally(() => inflight.delete(sent))
              return sent
            }
            // Settled now: the adapter does not wait on these, and socket.io's close() awaits the
            // sharded adapter's unsubscriptions, which must not hang while Redis is down.
            deferred.push(() => { void call(args) })
            return Promise.resolve(undefined)
          }
        } else {
          fn = method.bind(target)
        }
        cache.set(prop, fn)
      }
      return fn
    }
  })
  return {
    client: proxy,
    settled: async () => { if (inflight.size > 0) await Promise.all(inflight) },
    dispose: () => { client.off('ready', flush); deferred.length = 0 }
  }
}

// A reconnect strategy that never gives up (a Redis outage must heal by itself): 50 ms doubling to 1 s, with jitter.
function reconnectStrategy (retries: number): number {
  return Math.min(50 * 2 ** retries, 1000) + Math.floor(Math.random() * 100)
}

/** The cluster link of one node: Redis clients, the socket.io adapter, the control bus and health. */
export class Cluster implements ClusterHealth {
  readonly #opts: ResolvedClusterOptions
  readonly #log: FastifyBaseLogger
  readonly #errors: ThrottledLog
  readonly #pub: RedisClientLike
  readonly #sub: RedisClientLike
  readonly #owned: boolean
  readonly #listeners: Array<[RedisClientLike, string, (...args: any[]) => void]> = []
  readonly #disposers: Array<() => void> = []
  #subscriptions: () => Promise<void> = async () => {}
  #bus: ClusterBus | undefined
  #ready = false
  #since = Date.now()
  #dropped = 0
  #droppedLogged = 0

  private constructor (opts: ResolvedClusterOptions, log: FastifyBaseLogger, pub: RedisClientLike, sub: RedisClientLike, owned: boolean) {
    this.#opts = opts
    this.#log = log
    this.#errors = new ThrottledLog(log)
    this.#pub = pub
    this.#sub = sub
    this.#owned = owned
  }

  /** Creates (or adopts) the clients and starts connecting; does not wait for Redis. */
  static create (opts: ResolvedClusterOptions, log: FastifyBaseLogger): Cluster {
    let cluster: Cluster
    if ('url' in opts.redis) {
      const pub = createClient({ url: opts.redis.url, socket: { reconnectStrategy } })
      const sub = pub.duplicate()
      cluster = new Cluster(opts, log, pub, sub, true)
      cluster.#watch()
      for (const client of [pub, sub]) client.connect().catch((err: unknown) => { cluster.#errors.error('connect', err) })
    } else {
      cluster = new Cluster(opts, log, opts.redis.pubClient, opts.redis.subClient, false)
      cluster.#watch()
    }
    return cluster
  }

  get nodeId (): string {
    return this.#opts.nodeId
  }

  get ready (): boolean {
    return this.#bus?.ready ?? false
  }

  status (): ClusterStatus {
    return { ready: this.ready, nodeId: this.nodeId, nodes: this.#bus?.peers() ?? [], since: this.#since, dropped: this.#dropped }
  }

  /** The socket.io adapter over this cluster's clients (pass it as the `adapter` server option). */
  adapter (): NonNullable<ServerOptions['adapter']> {
    const onError = (kind: string, err: unknown): void => { this.#errors.error(kind, err) }
    const onDrop = (): void => { this.#dropped++ }
    const pubGuard = guard(this.#pub, onError, onDrop)
    const subGuard = guard(this.#sub, onError, onDrop)
    this.#disposers.push(pubGuard.dispose, subGuard.dispose)
    this.#subscriptions = subGuard.settled
    const pub = pubGuard.client as any
    const sub = subGuard.client as any
    if (this.#opts.sharded) {
      return createShardedAdapter(pub, sub, { channelPrefix: this.#opts.key, subscriptionMode: this.#opts.subscriptionMode })
    }
    return createAdapter(pub, sub, { key: this.#opts.key, requestsTimeout: this.#opts.timeout, publishOnSpecificResponseChannel: true })
  }

  /**
   * Starts the control bus for `io` and waits up to readyTimeout for Redis; past it the node starts
   * not ready (logged) and becomes ready by itself when Redis answers.
   */
  async attach (io: Server): Promise<Membership> {
    const bus = new ClusterBus(this.#pub as unknown as BusClient, this.#sub as unknown as BusClient, this.#opts, {
      apply: async (op) => { applyLocal(io, op); await this.#subscriptions() },
      members: (room) => localMembers(io, room),
      rooms: (socketId) => localRooms(io, socketId)
    }, (kind, err) => { this.#errors.error(kind, err) })
    this.#bus = bus
    const started = bus.start().then(() => { this.#update() }, (err: unknown) => { this.#errors.error('subscribe', err) })
    const membership = clusterMembership(io, bus, this.#opts.sharded ? this.#subscriptions : undefined)
    if (this.#opts.readyTimeout === 0) return membership
    let timer: NodeJS.Timeout | undefined
    const waited = await Promise.race([
      started.then(() => true),
      new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), this.#opts.readyTimeout) })
    ])
    clearTimeout(timer)
    if (!waited) {
      this.#log.error({ nodeId: this.nodeId }, `fastify-sockets cluster: Redis not ready within ${this.#opts.readyTimeout} ms; ` +
        'starting with local delivery only and reconnecting in the background')
    }
    return membership
  }

  /** After socket.io closed: says goodbye to the other nodes, then closes the clients the plugin created. */
  async close (): Promise<void> {
    await this.#bus?.close()
    for (const [client, event, listener] of this.#listeners) client.off(event, listener)
    for (const dispose of this.#disposers) dispose()
    if (!this.#owned) return
    // destroy(), not close(): close() waits for queued commands, which never drain while Redis is down.
    for (const client of [this.#pub, this.#sub] as unknown as Array<{ isOpen: boolean, destroy (): void }>) {
      if (client.isOpen) client.destroy()
    }
  }

  #watch (): void {
    const on = (client: RedisClientLike, event: string, listener: (...args: any[]) => void): void => {
      client.on(event, listener)
      this.#listeners.push([client, event, listener])
    }
    for (const [client, name] of [[this.#pub, 'publisher'], [this.#sub, 'subscriber']] as const) {
      // Without an 'error' listener node-redis would throw the error and crash the process.
      on(client, 'error', (err: unknown) => { this.#errors.error(`redis ${name}`, err); this.#update() })
      on(client, 'ready', () => { this.#update() })
      on(client, 'end', () => { this.#update() })
      // Cluster clients (createCluster) report per shard.
      on(client, 'node-ready', () => { this.#update() })
      on(client, 'node-disconnect', () => { this.#update() })
    }
  }

  #update (): void {
    const ready = this.ready
    if (this.#dropped > this.#droppedLogged && ready) {
      this.#log.warn({ dropped: this.#dropped - this.#droppedLogged }, 'fastify-sockets cluster: cross-node messages dropped while Redis was down')
      this.#droppedLogged = this.#dropped
    }
    if (ready === this.#ready) return
    this.#ready = ready
    this.#since = Date.now()
    if (ready) {
      this.#log.info({ nodeId: this.nodeId }, 'fastify-sockets cluster: Redis connected')
      this.#bus?.reconnected()
    } else {
      this.#log.warn({ nodeId: this.nodeId }, 'fastify-sockets cluster: Redis connection lost; local delivery only until it returns')
      this.#bus?.disconnected()
    }
  }
}

/**
 * Membership over the cluster: a change is applied here, then on every other live node, and the Promise
 * resolves only when all acknowledged (FST_SOCKETS_CLUSTER_TIMEOUT names the silent nodes; while Redis
 * is down, FST_SOCKETS_CLUSTER_UNAVAILABLE at once). Queries gather every live node's answer under the
 * same deadline; a partial answer is an error, never a silently short list.
 */
export function clusterMembership (io: Server, bus: ClusterBus, subscriptions?: () => Promise<void>): Membership {
  const sockets = io.of('/').sockets
  const settled = subscriptions ?? (async () => {})
  return {
    async apply (change) {
      applyLocal(io, change)
      // A socket lives on one node: a change addressed only to sockets of this node is complete here
      // (no round trip, and it works while Redis is down).
      if (change.sources.every((source) => sockets.has(source))) { await settled(); return }
      await Promise.all([settled(), bus.apply(change)])
    },
    ...(subscriptions === undefined ? {} : { settled: subscriptions }),
    async members (room) {
      if (sockets.has(room)) return [room]
      const remote = await bus.members(room)
      return [...new Set([...localMembers(io, room), ...remote])]
    },
    async rooms (socketId) {
      return localRooms(io, socketId) ?? await bus.rooms(socketId)
    }
  }
}
