import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { MembershipOp } from '../membership/membership.js'
import { FST_SOCKETS_CLUSTER_UNAVAILABLE } from '../errors.js'
import { parseMessage, type OutgoingMessage, type RequestBody } from './messages.js'
import { isUp } from './redis-guard.js'
import type { AdapterKind } from './options.js'
import { Liveness } from './liveness.js'
import { PendingRequests } from './requests.js'

// The control channel between the nodes of a cluster: who is alive (heartbeats), and requests that
// every live node must answer (membership changes, members, rooms). It is ours rather than the
// adapter's serverSideEmitWithAck because we need to know WHICH nodes are silent, to bound every
// wait by our own deadline (the adapter's count of expected answers can be wrong, and then its wait
// never ends), and to forget a node that died. Its heartbeats coming back are also this node's proof that
// Redis carries its messages (liveness.ts): without it the node is not ready.

/** What the bus uses of a node-redis client (standalone or cluster). */
export interface BusClient {
  readonly isOpen: boolean
  /** Absent on cluster clients (createCluster), which reconnect per shard: there `isOpen` stands for it. */
  readonly isReady?: boolean
  on (event: string, listener: () => void): unknown
  off (event: string, listener: () => void): unknown
  publish (channel: string, message: string): Promise<unknown>
  sPublish (channel: string, message: string): Promise<unknown>
  subscribe (channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  sSubscribe (channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  unsubscribe (channel: string, listener?: (message: string, channel: string) => void): Promise<unknown>
  sUnsubscribe (channel: string, listener?: (message: string, channel: string) => void): Promise<unknown>
  sendCommand?: (args: string[]) => Promise<unknown>
  masters?: unknown
}

/** What this node does when another node asks. */
export interface BusHandlers {
  /** Resolves once the change is visible to the other nodes (then the bus acknowledges it). */
  /** `after`: the last stream entry the sender had written ('streams'), to be read here before the change applies. */
  apply (op: MembershipOp, after?: string): Promise<void>
  /** The last stream entry this node has written once its broadcasts so far are written ('streams'), else undefined. */
  written (): Promise<string | undefined>
  members (room: string): string[]
  rooms (socketId: string): string[] | undefined
}

export interface BusOptions {
  readonly nodeId: string
  readonly key: string
  /** The bus uses sharded pub/sub when the adapter does. */
  readonly adapter: AdapterKind
  readonly timeout: number
  readonly heartbeatInterval: number
  readonly heartbeatTimeout: number
}

/** An error the bus reports to the cluster's (rate-limited) log; never thrown. */
export type BusErrorSink = (what: string, err: unknown) => void

/** What the bus tells the cluster: an error for the (rate-limited) log, and that `ready` may have changed. */
export interface BusEvents {
  readonly report: BusErrorSink
  readonly changed: () => void
}

/** Resolves once `client` is ready (at once when it is). */
async function whenReady (client: BusClient): Promise<void> {
  if (isUp(client)) return
  await new Promise<void>((resolve) => {
    const onReady = (): void => { client.off('ready', onReady); resolve() }
    client.on('ready', onReady)
  })
}

/** Heartbeats and acknowledged requests between the nodes, over two Redis pub/sub channels per node. */
export class ClusterBus {
  readonly #pub: BusClient
  readonly #sub: BusClient
  readonly #opts: BusOptions
  readonly #sharded: boolean
  readonly #handlers: BusHandlers
  readonly #report: BusErrorSink
  readonly #changed: () => void
  // A per-process nonce: tells our own echo on the shared channel from another node wrongly given our nodeId.
  readonly #instance = randomBytes(6).toString('hex')
  readonly #control: string
  readonly #inbox: string
  readonly #listener = (message: string): void => { this.#receive(message) }
  readonly #liveness: Liveness
  readonly #requests: PendingRequests
  #subscribed = false
  #closed = false
  #beating = false
  #heartbeat: NodeJS.Timeout | undefined

  constructor (pub: BusClient, sub: BusClient, opts: BusOptions, handlers: BusHandlers, events: BusEvents) {
    this.#pub = pub
    this.#sub = sub
    this.#opts = opts
    this.#sharded = opts.adapter === 'sharded'
    this.#handlers = handlers
    this.#report = events.report
    this.#changed = events.changed
    this.#control = `${opts.key}#ctl`
    this.#inbox = `${opts.key}#node#${opts.nodeId}`
    // deaf: `ready` turned false
    this.#liveness = new Liveness(opts.heartbeatInterval, opts.heartbeatTimeout, () => { if (!this.#closed) this.#changed() })
    this.#requests = new PendingRequests(opts.timeout)
  }

  /** Subscribed, connected, and hearing its own messages back through Redis: cluster-wide operations can run. */
  get ready (): boolean {
    return this.reason() === undefined
  }

  /** Why this node is not ready; undefined when it is. */
  reason (): string | undefined {
    if (this.#closed) return 'the server is closing'
    if (!isUp(this.#pub) || !isUp(this.#sub)) return 'Redis is not connected'
    if (!this.#subscribed) return 'not subscribed to Redis yet'
    const silent = this.#liveness.silentFor(performance.now())
    if (silent > this.#opts.heartbeatTimeout) {
      return Number.isFinite(silent)
        ? `nothing came back through Redis for ${Math.round(silent)} ms (Redis stalled, or this node is cut off from it)`
        : 'not heard back through Redis yet'
    }
    return undefined
  }

  /** The other nodes heard from within heartbeatTimeout (while this node heard itself). */
  peers (): string[] {
    this.#expire()
    return this.#liveness.peers()
  }

  /**
   * Subscribes and starts the heartbeat. Resolves once subscribed and the nodes already running are known
   * (which waits for Redis: the caller bounds it).
   */
  async start (): Promise<void> {
    this.#heartbeat = setInterval(() => { this.#tick() }, this.#opts.heartbeatInterval).unref()
    const subscribe = this.#sharded ? this.#sub.sSubscribe.bind(this.#sub) : this.#sub.subscribe.bind(this.#sub)
    // Subscribe on a ready connection only (see guard() in redis-guard.ts); retry on the next 'ready' if it broke meanwhile.
    while (!this.#closed && !this.#subscribed) {
      await whenReady(this.#sub)
      if (this.#closed) return
      try {
        await Promise.all([subscribe(this.#control, this.#listener), subscribe(this.#inbox, this.#listener)])
        this.#subscribed = true
      } catch (err) {
        this.#report('subscribe', err)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    if (this.#closed) return
    await this.#discover()
  }

  /**
   * A client is connected again: say hello, so the running nodes answer at once and this node hears
   * itself (which makes it ready). The peers' clocks restart with its hearing (see Liveness).
   */
  reconnected (): void {
    if (this.#subscribed && isUp(this.#pub)) void this.#send(this.#control, { type: 'hello' })
  }

  /**
   * This node stopped being ready (Redis gone, stalled, or this node cut off): requests in flight can no
   * longer be known to complete; they fail now, not at their deadline.
   */
  unavailable (reason: string): void {
    this.#requests.failAll(reason)
  }

  /** Applies nothing locally: asks every other live node to apply `op`, resolves when all acknowledged. */
  async apply (op: MembershipOp): Promise<void> {
    const after = await this.#handlers.written()
    await this.#request({ type: 'op', op, ...(after === undefined ? {} : { after }) }, op.op)
  }

  /** Socket ids in `room` on the other nodes. */
  async members (room: string): Promise<string[]> {
    const results = await this.#request({ type: 'query', query: 'members', arg: room }, 'members')
    const ids: string[] = []
    for (const value of results.values()) if (Array.isArray(value)) ids.push(...value as string[])
    return ids
  }

  /** Rooms of a socket held by another node; undefined when no live node holds it. Settles at the first holder. */
  async rooms (socketId: string): Promise<string[] | undefined> {
    const results = await this.#request({ type: 'query', query: 'rooms', arg: socketId }, 'rooms', (value) => value !== null)
    for (const value of results.values()) if (Array.isArray(value)) return value as string[]
    return undefined
  }

  /** Says goodbye (so no node waits for us), stops the heartbeat, fails what is pending, unsubscribes. */
  async close (): Promise<void> {
    if (this.#closed) return
    clearInterval(this.#heartbeat)
    this.#liveness.stop()
    this.#requests.failAll('the server is closing')
    if (this.ready) await Promise.race([this.#send(this.#control, { type: 'bye' }), new Promise((resolve) => setTimeout(resolve, 500).unref())])
    this.#closed = true
    // Only on a live connection: a queued UNSUBSCRIBE would meet node-redis' resubscription on connect.
    if (!isUp(this.#sub)) return
    const unsubscribe = this.#sharded ? this.#sub.sUnsubscribe.bind(this.#sub) : this.#sub.unsubscribe.bind(this.#sub)
    for (const channel of [this.#control, this.#inbox]) {
      try { unsubscribe(channel, this.#listener).catch(() => {}) } catch { /* client already closed */ }
    }
  }

  async #request (body: RequestBody, what: string, accept?: (value: unknown) => boolean): Promise<Map<string, unknown>> {
    const reason = this.reason()
    if (reason !== undefined) {
      throw new FST_SOCKETS_CLUSTER_UNAVAILABLE(what, body.type === 'op' ? `${reason}; applied on this node only` : reason, this.#liveness.peers())
    }
    return await this.#requests.open(what, new Set(this.peers()), accept, async (id) => await this.#send(this.#control, { ...body, id }))
  }

  // Resolves true once Redis took the message; false (reported) when it could not.
  async #send (channel: string, body: OutgoingMessage): Promise<boolean> {
    const message = JSON.stringify({ ...body, node: this.#opts.nodeId, instance: this.#instance })
    try {
      await (this.#sharded ? this.#pub.sPublish(channel, message) : this.#pub.publish(channel, message))
      return true
    } catch (err) {
      this.#report('publish', err)
      return false
    }
  }

  #tick (): void {
    // One heartbeat at a time: while Redis is stalled they would pile up and flush in a burst.
    if (isUp(this.#pub) && this.#subscribed && !this.#beating) {
      this.#beating = true
      void this.#send(this.#control, { type: 'heartbeat' }).finally(() => { this.#beating = false })
    }
    this.#expire()
  }

  // A node gone silent (while we heard ourselves) is forgotten as one that said goodbye: pending
  // operations stop waiting for it.
  #expire (): void {
    for (const node of this.#liveness.expired(performance.now())) this.#forget(node)
  }

  #echo (): void {
    const wasReady = this.ready
    this.#liveness.echo(performance.now())
    if (!wasReady) this.#changed()
  }

  #receive (raw: string): void {
    if (this.#closed) return
    const msg = parseMessage(raw)
    if (msg === undefined) { this.#report('message', new Error('malformed cluster message ignored')); return }
    if (msg.node === this.#opts.nodeId) {
      if (msg.instance === this.#instance) this.#echo()
      else this.#report('nodeId', new Error(`another process uses this node's nodeId '${msg.node}'`))
      return
    }
    if (msg.type === 'bye') { this.#forget(msg.node); return }
    // Answers do not announce a node (an answer to a request of ours comes from a node we know).
    if (msg.type !== 'ack' && msg.type !== 'result') this.#liveness.heard(msg.node, performance.now())
    switch (msg.type) {
      case 'hello': void this.#send(this.#inboxOf(msg.node), { type: 'heartbeat' }); break
      case 'op': {
        const requester = msg.node
        const id = msg.id
        this.#handlers.apply(msg.op, msg.after).then(
          () => this.#send(this.#inboxOf(requester), { type: 'ack', id }),
          (err: unknown) => { this.#report('apply', err) })
        break
      }
      case 'query': {
        const value = msg.query === 'members' ? this.#handlers.members(msg.arg) : (this.#handlers.rooms(msg.arg) ?? null)
        void this.#send(this.#inboxOf(msg.node), { type: 'result', id: msg.id, value })
        break
      }
      case 'ack': this.#requests.answer(msg.id, msg.node, true); break
      case 'result': this.#requests.answer(msg.id, msg.node, msg.value); break
      default: break
    }
  }

  // A node that said goodbye holds no sockets any more: nothing pending waits for it.
  #forget (node: string): void {
    this.#liveness.forget(node)
    this.#requests.forget(node)
  }

  #inboxOf (node: string): string {
    return `${this.#opts.key}#node#${node}`
  }

  // At start: hello makes every running node answer at once; PUBSUB NUMSUB (standalone Redis) says how
  // many to expect, so we stop waiting as soon as all answered. Without it we wait one heartbeat.
  async #discover (): Promise<void> {
    const started = performance.now()
    await this.#send(this.#control, { type: 'hello' })
    let expected: number | undefined
    const count = ['PUBSUB', this.#sharded ? 'SHARDNUMSUB' : 'NUMSUB', this.#control]
    const cluster = Array.isArray(this.#pub.masters)
    // A cluster client routes by key (the channel's slot); plain NUMSUB there counts one node only.
    if (typeof this.#pub.sendCommand === 'function' && (!cluster || this.#sharded)) {
      try {
        const reply = cluster
          ? await (this.#pub.sendCommand as unknown as (key: string, readonly: boolean, args: string[]) => Promise<unknown>)(this.#control, true, count)
          : await this.#pub.sendCommand(count)
        if (Array.isArray(reply)) expected = Number(reply[1]) - 1
      } catch (err) { this.#report('discover', err) }
    }
    const limit = started + this.#opts.heartbeatInterval * 2
    const done = (): boolean => this.#closed || performance.now() >= limit || (expected !== undefined && this.#liveness.size >= expected)
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
