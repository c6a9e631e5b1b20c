import type { AddressInfo } from 'node:net'
import type { ClientSocket, ClientOptions } from '../client/index.js'
import { FST_SOCKETS_CONNECT_CLIENT } from '../errors.js'

/** How the app is reached: its address once listening (the plugin listens on 127.0.0.1:0 if it is not yet). */
export type EnsureListening = () => Promise<AddressInfo | string | null>

function urlOf (address: AddressInfo): string {
  const host = address.address === '0.0.0.0'
    ? '127.0.0.1'
    : address.address === '::'
      ? '[::1]'
      : address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/**
 * The clients of `fastify.sockets.connectClient()`: real SDK sockets over TCP against the app, all
 * disconnected when the app closes. The client SDK (and socket.io-client) load on first use only.
 */
export class TestClients {
  readonly #ensureListening: EnsureListening
  readonly #open = new Set<ClientSocket>()
  #closing = false

  constructor (ensureListening: EnsureListening) {
    this.#ensureListening = ensureListening
  }

  async connect (options?: ClientOptions): Promise<ClientSocket> {
    if (this.#closing) throw new FST_SOCKETS_CONNECT_CLIENT('the app is closing')
    const address = await this.#ensureListening()
    if (address === null || typeof address === 'string') {
      throw new FST_SOCKETS_CONNECT_CLIENT(`the app listens on ${address === null ? 'nothing' : 'a pipe'}, not on TCP`)
    }
    const { connect } = await import('../client/index.js')
    // No reconnection by default: the app under test does not restart, and a test should see a lost connection.
    const socket = connect(urlOf(address), { reconnection: false, ...options })
    this.#open.add(socket)
    socket.on('disconnect', () => { if (!socket.isConnecting()) this.#open.delete(socket) })
    await new Promise<void>((resolve, reject) => {
      const onConnect = (): void => { cleanup(); resolve() }
      const onError = (err: Error): void => {
        if (socket.isConnecting()) return // a retry is coming (reconnection was asked for)
        cleanup()
        this.#open.delete(socket)
        reject(new FST_SOCKETS_CONNECT_CLIENT(err.message, { cause: err }))
      }
      const cleanup = (): void => { socket.off('connect', onConnect); socket.off('connect_error', onError) }
      socket.on('connect', onConnect)
      socket.on('connect_error', onError)
    })
    return socket
  }

  /** Disconnects every client; later connect() calls fail. */
  close (): void {
    this.#closing = true
    for (const socket of this.#open) socket.disconnect()
    this.#open.clear()
  }
}
