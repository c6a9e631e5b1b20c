import type { FastifyBaseLogger } from 'fastify'
import type { Server, ServerOptions } from 'socket.io'
import { createClient } from 'redis'
import { ThinnedCount, ThrottledLog } from '../common/log.js'
import { FST_SOCKETS_CLUSTER_NOT_READY } from '../errors.js'
import type { Membership } from '../membership/membership.js'
import { applyLocal, localMembers, localRooms } from '../membership/membership.js'
import { clusterMembership } from '../membership/cluster.js'
import type { ResolvedClusterOptions, RedisClientLike } from './options.js'
import { ClusterBus, type BusClient } from './bus.js'
import { guard, reconnectStrategy } from './redis-guard.js'
import { adapterKind, clusterAdapter, roomChannel, type DroppedMessage } from './adapters.js'
import { StreamProgress } from './stream-progress.js'

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
  /**
   * Connected to Redis, subscribed, and hearing its own heartbeat back through Redis within
   * `heartbeatTimeout`: broadcasts reach other nodes, cluster-wide operations can succeed. False while
   * Redis is down, stalled, or this node is cut off from it (`status().reason` says which).
   */
  readonly ready: boolean
  /** This node's id (the name other nodes' errors use for it). */
  readonly nodeId: string
  /** A snapshot for a health route or metrics. */
  status (): ClusterStatus
}

/** What `fastify.sockets.cluster.status()` reports. */
export interface ClusterStatus {
  ready: boolean
  /** Why this node is not ready (absent when it is). */
  reason?: string
  nodeId: string
  /** The other live nodes (heard from within heartbeatTimeout). */
  nodes: string[]
  /** Epoch ms of the last change of `ready`. */
  since: number
  /** Cross-node publishes dropped because Redis was down (their local delivery happened). */
  dropped: number
  /** Messages on the adapter's channels that could not be handled (malformed or forged), dropped. */
  malformed: number
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
  // Clients the adapter made for itself (the streams adapter's reader and subscriber): closed with ours.
  readonly #adopted: RedisClientLike[] = []
  #drain: (ms: number) => Promise<void> = async () => {}
  // 'streams': this node's publisher and its reader's progress (stream-progress.ts)
  #written: () => Promise<string | undefined> = async () => undefined
  readonly #progress = new StreamProgress()
  readonly #malformed = new ThinnedCount()
  // Resolves once the subscriptions that joins to these rooms made are answered (sharded adapter).
  #subscriptionsSettled: (rooms: readonly string[]) => Promise<void> = async () => {}
  #releaseSubscriptionWaits: () => void = () => {}
  #subscriptionProblem: () => string | undefined = () => undefined
  #bus: ClusterBus | undefined
  #ready = false
  #since = Date.now()
  #dropped = 0
  #droppedLogged = 0
  #malformedCount = 0

  private constructor (opts: ResolvedClusterOptions, log: FastifyBaseLogger, pub: RedisClientLike, sub: RedisClientLike, owned: boolean) {
    this.#opts = opts
    this.#log = log
    this.#errors = new ThrottledLog(log, 'fastify-sockets cluster')
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
    return this.#reason() === undefined
  }

  status (): ClusterStatus {
    const reason = this.#reason()
    return {
      ready: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
      nodeId: this.nodeId,
      nodes: this.#bus?.peers() ?? [],
      since: this.#since,
      dropped: this.#dropped,
      malformed: this.#malformedCount
    }
  }

  /** The socket.io adapter over this cluster's clients (pass it as the `adapter` server option). */
  adapter (): NonNullable<ServerOptions['adapter']> {
    const events = {
      error: (kind: string, err: unknown): void => { this.#errors.error(kind, err) },
      drop: (): void => { this.#dropped++ },
      changed: (): void => { this.#update() }
    }
    const pubGuard = guard(this.#pub, events)
    const subGuard = guard(this.#sub, events)
    this.#disposers.push(pubGuard.dispose, subGuard.dispose)
    this.#subscriptionProblem = subGuard.subscriptionProblem
    const kind = adapterKind(this.#opts)
    const channelOf = roomChannel(kind, this.#opts)
    if (channelOf !== undefined) this.#subscriptionsSettled = async (rooms) => { await subGuard.subscriptionsSettled(rooms.map(channelOf)) }
    this.#releaseSubscriptionWaits = subGuard.release
    this.#drain = pubGuard.drain
    return clusterAdapter(kind, pubGuard.client, subGuard.client, this.#opts, (dropped) => { this.#onMalformed(dropped) }, {
      adopt: (client) => { this.#adopt(client as RedisClientLike) },
      onClose: (fn) => { this.#disposers.push(fn) },
      drop: events.drop,
      error: events.error,
      publisher: (publisher) => { this.#written = async () => await publisher.written() },
      seen: (id) => { this.#progress.seen(id) },
      position: () => this.#progress.position,
      reached: async (id, ms) => { await this.#progress.reached(id, ms) }
    })
  }

  #adopt (client: RedisClientLike): void {
    this.#adopted.push(client)
    // its errors are the adapter's to retry (it listens to them): the 'ready' of its reader after an outage matters here
    client.on('ready', () => { this.#update() })
  }

  // A message on the adapter's channels that it could not handle: dropped, counted, logged (thinned).
  #onMalformed (dropped: DroppedMessage): void {
    this.#malformedCount++
    const n = this.#malformed.next()
    if (n !== undefined) {
      this.#log.warn({ nodeId: this.nodeId, ...dropped, dropped: n }, 'fastify-sockets cluster: message on the adapter\'s channels dropped (malformed or forged)')
    }
  }

  /**
   * Starts the control bus for `io` and waits up to readyTimeout for Redis; past it the node starts
   * not ready (logged, and a process warning) and becomes ready by itself when Redis answers, or, with
   * requireReady, the registration fails.
   * @throws FST_SOCKETS_CLUSTER_NOT_READY
   */
  async attach (io: Server): Promise<Membership> {
    const bus = new ClusterBus(this.#pub as unknown as BusClient, this.#sub as unknown as BusClient, this.#opts, {
      apply: async (op, after) => {
        // the sender's broadcasts written before this change are delivered here first (half the deadline at most)
        if (after !== undefined) await this.#progress.reached(after, Math.ceil(this.#opts.timeout / 2))
        applyLocal(io, op)
        await this.#subscriptionsSettled(op.op === 'join' ? op.rooms : [])
      },
      written: async () => await this.#written(),
      members: (room) => localMembers(io, room),
      rooms: (socketId) => localRooms(io, socketId)
    }, { report: (kind, err) => { this.#errors.error(kind, err) }, changed: () => { this.#update() } })
    this.#bus = bus
    const started = bus.start().then(() => { this.#update() }, (err: unknown) => { this.#errors.error('subscribe', err) })
    const membership = clusterMembership(io, bus, this.#subscriptionsSettled, async () => {
      // while Redis is away the broadcasts waiting for it are late anyway: a change does not wait for them
      if (this.#opts.adapter !== 'streams' || !this.ready) return
      await this.#written()
      // their local deliveries run in the promise jobs that follow the write: let them all run first
      await new Promise((resolve) => setImmediate(resolve))
    })
    if (this.#opts.readyTimeout === 0) return membership
    let timer: NodeJS.Timeout | undefined
    const waited = await Promise.race([
      started.then(() => true),
      new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), this.#opts.readyTimeout) })
    ])
    clearTimeout(timer)
    if (!waited) {
      if (this.#opts.requireReady) throw new FST_SOCKETS_CLUSTER_NOT_READY(this.#opts.readyTimeout)
      const message = `fastify-sockets cluster: Redis not ready within ${this.#opts.readyTimeout} ms; ` +
        'starting with local delivery only and reconnecting in the background'
      this.#log.error({ nodeId: this.nodeId }, message)
      // the log may be off (Fastify's default): a process warning reaches the console anyway
      process.emitWarning(message, { type: 'FastifySocketsWarning', code: 'FST_SOCKETS_CLUSTER_NOT_READY' })
    }
    return membership
  }

  /** After socket.io closed: says goodbye to the other nodes, then closes the clients the plugin created. */
  async close (): Promise<void> {
    // the sessions socket.io stored as the sockets closed (streams adapter): a client recovers on another node
    if (this.ready) await this.#drain(this.#opts.timeout)
    await this.#bus?.close()
    for (const [client, event, listener] of this.#listeners) client.off(event, listener)
    for (const dispose of this.#disposers) dispose()
    for (const client of this.#adopted as unknown as Array<{ isOpen: boolean, destroy (): void }>) {
      if (client.isOpen) client.destroy()
    }
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
      on(client, 'ready', () => { this.#bus?.reconnected(); this.#update() })
      on(client, 'end', () => { this.#update() })
      // Cluster clients (createCluster) report per shard.
      on(client, 'node-ready', () => { this.#update() })
      on(client, 'node-disconnect', () => { this.#update() })
    }
  }

  // The bus's reason first (no Redis, no echo); then a subscription of the adapter that Redis refused
  // (an ACL without a channel or command it needs): broadcasts on it would be lost in silence.
  #reason (): string | undefined {
    if (this.#bus === undefined) return 'not attached yet'
    return this.#bus.reason() ?? this.#subscriptionProblem()
  }

  #update (): void {
    const reason = this.#reason()
    const ready = reason === undefined
    if (this.#dropped > this.#droppedLogged && ready) {
      this.#log.warn({ dropped: this.#dropped - this.#droppedLogged }, 'fastify-sockets cluster: cross-node messages dropped while Redis was down')
      this.#droppedLogged = this.#dropped
    }
    if (ready === this.#ready) return
    this.#ready = ready
    this.#since = Date.now()
    if (reason === undefined) {
      this.#log.info({ nodeId: this.nodeId }, 'fastify-sockets cluster: Redis connected, ready')
    } else {
      this.#log.warn({ nodeId: this.nodeId, reason }, `fastify-sockets cluster: not ready: ${reason}; local delivery only until it returns`)
      // what waits on Redis cannot be known to complete any more: it settles now (see bus and guard)
      this.#bus?.unavailable(reason)
      this.#releaseSubscriptionWaits()
    }
  }
}
