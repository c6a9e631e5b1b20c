import { createRequire } from 'node:module'
import type { Teardown } from './app.js'

// The unmodified sails.io.js 1.2.1 Node SDK (socket.io-client 2.5, Engine.IO 3), as a Sails team runs it.

const require = createRequire(import.meta.url)

export interface SailsJwr { body: unknown, statusCode: number, headers: Record<string, string>, error?: Error }
export type Callback = (body: unknown, jwr: SailsJwr) => void
export interface SailsSocket {
  get (url: string, data?: unknown, cb?: Callback): void
  post (url: string, data?: unknown, cb?: Callback): void
  put (url: string, data?: unknown, cb?: Callback): void
  patch (url: string, data?: unknown, cb?: Callback): void
  delete (url: string, data?: unknown, cb?: Callback): void
  request (options: { method?: string, url: string, data?: unknown, headers?: Record<string, string> }, cb?: Callback): void
  on (event: string, fn: (...args: any[]) => void): SailsSocket
  off (event: string, fn: (...args: any[]) => void): SailsSocket
  isConnected (): boolean
  disconnect (): void
}
export interface SailsIo {
  sails: Record<string, unknown> & { connect (url?: string | object, opts?: object): SailsSocket }
  socket: SailsSocket
}

/**
 * A fresh `io` as `require('sails.io.js')(require('socket.io-client'))` gives it. sails.io.js refuses an
 * `io` it has augmented before, so each call loads socket.io-client's entry module anew.
 * Configured synchronously, as the SDK requires (it auto-connects on the next tick).
 */
export function sailsIo (t: Teardown, url: string, config: Record<string, unknown> = {}): SailsIo {
  delete require.cache[require.resolve('socket.io-client-v2')]
  const io = require('sails.io.js')(require('socket.io-client-v2')) as SailsIo
  Object.assign(io.sails, { url, environment: 'production' }, config)
  const socket = io.socket
  t.teardown(() => { if (socket.isConnected()) socket.disconnect() })
  return io
}

export function manual (t: Teardown, io: SailsIo, opts: object = {}): SailsSocket {
  const socket = io.sails.connect(opts)
  t.teardown(() => { if (socket.isConnected()) socket.disconnect() })
  return socket
}

export function call (socket: SailsSocket, method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, data?: unknown): Promise<[unknown, SailsJwr]> {
  return new Promise((resolve) => {
    if (data === undefined) socket[method](url, (body: unknown, jwr: SailsJwr) => resolve([body, jwr]))
    else socket[method](url, data, (body, jwr) => resolve([body, jwr]))
  })
}

export function nextSailsEvent<T> (socket: SailsSocket, event: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (payload: T): void => { socket.off(event, on); resolve(payload) }
    socket.on(event, on)
  })
}
