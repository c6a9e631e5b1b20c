import type { RedisClientLike } from './options.js'
import { messageOf } from '../common/values.js'

/** Whether a client can take commands now: `isReady` for a client, `isOpen` for a cluster client. */
export function isUp (client: { readonly isOpen: boolean, readonly isReady?: boolean }): boolean {
  return typeof client.isReady === 'boolean' ? client.isReady : client.isOpen
}

// Publishes and (un)subscriptions the adapter fires without awaiting or catching: they must never become
// unhandled rejections (a Redis blip would otherwise crash the process; socket.io-redis-emitter#139).
const FIRE_AND_FORGET = new Set(['publish', 'sPublish', 'subscribe', 'pSubscribe', 'sSubscribe', 'unsubscribe', 'pUnsubscribe', 'sUnsubscribe'])
const PUBLISH = new Set(['publish', 'sPublish'])
const UNSUBSCRIBE = new Set(['unsubscribe', 'pUnsubscribe', 'sUnsubscribe'])
// The streams adapter stores a session (socket.io's persistSession) without awaiting or catching it.
const STORE = new Set(['set'])

/** What a guarded client reports. */
export interface GuardEvents {
  /** A command failed (for the throttled log). */
  readonly error: (kind: string, err: unknown) => void
  /** A publish was dropped because Redis was down. */
  readonly drop: () => void
  /** `subscriptionProblem()` may have changed. */
  readonly changed: () => void
}

/**
 * What the adapter sees of a client: the same client, except that
 * - fire-and-forget commands are caught (and logged, throttled);
 * - publishes are dropped (counted) while Redis is down, instead of piling up in the offline queue and
 *   flushing late, possibly before the subscriber is back;
 * - (un)subscriptions made while Redis is down wait for 'ready': node-redis 5 corrupts its reply queue
 *   when a queued SUBSCRIBE meets its own resubscription on connect (messages then fail with
 *   "Cannot read properties of undefined (reading 'value')");
 * - a subscription Redis refused (NOPERM from an ACL, or the connection lost before the answer, which
 *   node-redis does not redo) is remembered, reported, and sent again on the next 'ready': until it
 *   succeeds, messages on that channel never arrive, which must not pass in silence.
 */
export interface Guarded<T> {
  client: T
  /**
   * Resolves when the subscriptions to `channels` sent so far are answered, or at the next `release()`.
   * Per channel: a subscription stuck on one dead Redis Cluster shard holds up no other channel.
   */
  subscriptionsSettled: (channels: readonly string[]) => Promise<void>
  /**
   * Ends the waits of `subscriptionsSettled` now: Redis stalled or went away, the answers may never come
   * (the subscriptions themselves complete, or are redone on reconnect, without anyone waiting).
   */
  release: () => void
  /** A subscription of the adapter that Redis refused and that has not succeeded since; undefined if none. */
  subscriptionProblem: () => string | undefined
  /** Resolves when the session writes sent so far are answered, or after `ms`: a node closing lets them out first. */
  drain: (ms: number) => Promise<void>
  dispose: () => void
}

function channelsOf (arg: unknown): string[] {
  return Array.isArray(arg) ? (arg as unknown[]).map(String) : [String(arg)]
}

export function guard<T extends RedisClientLike> (client: T, events: GuardEvents): Guarded<T> {
  const cache = new Map<PropertyKey, unknown>()
  const deferred: Array<() => void> = []
  // channel -> its subscriptions sent and not answered yet
  const inflight = new Map<string, Set<Promise<unknown>>>()
  const waiting = new Set<() => void>()
  const stores = new Set<Promise<unknown>>()
  // channel -> the refused subscription (to send again) and why
  const failed = new Map<string, { retry: () => void, reason: string }>()
  const track = (channels: string[], sent: Promise<unknown>): void => {
    for (const channel of channels) {
      let pending = inflight.get(channel)
      if (pending === undefined) inflight.set(channel, pending = new Set())
      const set = pending
      set.add(sent)
      void sent.finally(() => { set.delete(sent); if (set.size === 0 && inflight.get(channel) === set) inflight.delete(channel) })
    }
  }
  const flush = (): void => {
    const retries = new Set([...failed.values()].map((entry) => entry.retry))
    for (const retry of retries) retry()
    while (isUp(client) && deferred.length > 0) deferred.shift()?.()
  }
  client.on('ready', flush)
  const proxy = new Proxy(client, {
    get (target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function' || prop === 'constructor') return value
      let fn = cache.get(prop)
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown
        const name = String(prop)
        const call = (args: unknown[], onFail?: (err: unknown) => void): Promise<unknown> => {
          const fail = (err: unknown): undefined => { onFail?.(err); events.error(name, err); return undefined }
          try {
            return Promise.resolve(method.apply(target, args)).catch(fail)
          } catch (err) {
            return Promise.resolve(fail(err))
          }
        }
        if (STORE.has(name)) {
          fn = (...args: unknown[]) => {
            const sent = call(args)
            stores.add(sent)
            void sent.finally(() => stores.delete(sent))
            return sent
          }
        } else if (PUBLISH.has(name)) {
          fn = (...args: unknown[]) => {
            if (!isUp(target)) { events.drop(); return Promise.resolve(0) }
            return call(args)
          }
        } else if (FIRE_AND_FORGET.has(name)) {
          const send = (args: unknown[]): Promise<unknown> => {
            const channels = channelsOf(args[0])
            if (UNSUBSCRIBE.has(name)) {
              if (channels.some((channel) => failed.delete(channel))) events.changed()
              return call(args)
            }
            let refused = false
            const sent = call(args, (err) => {
              refused = true
              const retry = (): void => { void send(args) }
              for (const channel of channels) failed.set(channel, { retry, reason: messageOf(err) })
              events.changed()
            })
            void sent.then(() => {
              if (!refused && channels.some((channel) => failed.delete(channel))) events.changed()
            })
            track(channels, sent)
            return sent
          }
          fn = (...args: unknown[]) => {
            if (isUp(target) && deferred.length === 0) return send(args)
            // Settled now: the adapter does not wait on these, and socket.io's close() awaits the
            // sharded adapter's unsubscriptions, which must not hang while Redis is down.
            deferred.push(() => { void send(args) })
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
    subscriptionsSettled: async (channels) => {
      const pending: Array<Promise<unknown>> = []
      for (const channel of channels) for (const sent of inflight.get(channel) ?? []) pending.push(sent)
      if (pending.length === 0) return
      await new Promise<void>((resolve) => {
        waiting.add(resolve)
        void Promise.all(pending).then(() => { waiting.delete(resolve); resolve() })
      })
    },
    release: () => { for (const resolve of waiting) resolve(); waiting.clear() },
    subscriptionProblem: () => {
      const first = failed.entries().next()
      return first.done === true ? undefined : `the subscription to ${first.value[0]} was refused: ${first.value[1].reason}`
    },
    drain: async (ms) => {
      if (stores.size === 0) return
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.allSettled([...stores]), new Promise((resolve) => { timer = setTimeout(resolve, ms) })])
      clearTimeout(timer)
    },
    dispose: () => { client.off('ready', flush); deferred.length = 0; failed.clear() }
  }
}

// A reconnect strategy that never gives up (a Redis outage must heal by itself): 50 ms doubling to 1 s, with jitter.
export function reconnectStrategy (retries: number): number {
  return Math.min(50 * 2 ** retries, 1000) + Math.floor(Math.random() * 100)
}
