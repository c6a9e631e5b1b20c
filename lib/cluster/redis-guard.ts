import type { RedisClientLike } from './options.js'

/** Whether a client can take commands now: `isReady` for a client, `isOpen` for a cluster client. */
export function isUp (client: { readonly isOpen: boolean, readonly isReady?: boolean }): boolean {
  return typeof client.isReady === 'boolean' ? client.isReady : client.isOpen
}

// Publishes and (un)subscriptions the adapter fires without awaiting or catching: they must never become
// unhandled rejections (a Redis blip would otherwise crash the process; socket.io-redis-emitter#139).
const FIRE_AND_FORGET = new Set(['publish', 'sPublish', 'subscribe', 'pSubscribe', 'sSubscribe', 'unsubscribe', 'pUnsubscribe', 'sUnsubscribe'])
const PUBLISH = new Set(['publish', 'sPublish'])
const SUBSCRIBE = new Set(['subscribe', 'pSubscribe', 'sSubscribe'])

/**
 * What the adapter sees of a client: the same client, except that
 * - fire-and-forget commands are caught (and logged, throttled);
 * - publishes are dropped (counted) while Redis is down, instead of piling up in the offline queue and
 *   flushing late, possibly before the subscriber is back;
 * - (un)subscriptions made while Redis is down wait for 'ready': node-redis 5 corrupts its reply queue
 *   when a queued SUBSCRIBE meets its own resubscription on connect (messages then fail with
 *   "Cannot read properties of undefined (reading 'value')").
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
  dispose: () => void
}

export function guard<T extends RedisClientLike> (client: T, onError: (kind: string, err: unknown) => void, onDrop: () => void): Guarded<T> {
  const cache = new Map<PropertyKey, unknown>()
  const deferred: Array<() => void> = []
  // channel -> its subscriptions sent and not answered yet
  const inflight = new Map<string, Set<Promise<unknown>>>()
  const waiting = new Set<() => void>()
  const track = (channels: unknown, sent: Promise<unknown>): void => {
    for (const channel of Array.isArray(channels) ? channels as unknown[] : [channels]) {
      const key = String(channel)
      let pending = inflight.get(key)
      if (pending === undefined) inflight.set(key, pending = new Set())
      const set = pending
      set.add(sent)
      void sent.finally(() => { set.delete(sent); if (set.size === 0 && inflight.get(key) === set) inflight.delete(key) })
    }
  }
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
          const send = (args: unknown[]): Promise<unknown> => {
            const sent = call(args)
            if (SUBSCRIBE.has(prop as string)) track(args[0], sent)
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
    dispose: () => { client.off('ready', flush); deferred.length = 0 }
  }
}

// A reconnect strategy that never gives up (a Redis outage must heal by itself): 50 ms doubling to 1 s, with jitter.
export function reconnectStrategy (retries: number): number {
  return Math.min(50 * 2 ** retries, 1000) + Math.floor(Math.random() * 100)
}
