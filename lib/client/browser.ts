// Entry of the browser bundle (dist/browser/fastify-sockets.js, built by scripts/build-client.mjs and served
// by the plugin): socket.io-client plus the sails.io.js globals, so a page written for sails.io.js 1.2.1
// works by changing its <script src>. `io` is socket.io-client's `io`, augmented with `io.sails` and
// `io.socket` as sails.io.js does.
import { io as socketIo } from 'socket.io-client'
import { ClientSocket } from './socket.js'
import { resolveClientOptions, type ClientOptions } from './options.js'

/** Per-socket options sails.io.js knows (SOCKET_OPTIONS in sails.io.js 1.2.1). */
type SocketOption = 'useCORSRouteToGetCookie' | 'url' | 'multiplex' | 'transports' | 'query' | 'path' | 'headers' |
  'initialConnectionHeaders' | 'reconnection' | 'reconnectionAttempts' | 'reconnectionDelay' | 'reconnectionDelayMax' |
  'rejectUnauthorized' | 'randomizationFactor' | 'timeout'
const CONFIGURABLE_VIA_HTML_ATTR = ['autoConnect', 'reconnection', 'environment', 'headers', 'url', 'transports', 'path'] as const

type SailsOptions = Partial<Record<SocketOption, unknown>>

interface SailsConfig extends SailsOptions {
  autoConnect: boolean
  autoconnect?: boolean
  reconnection: boolean
  useCORSRouteToGetCookie: boolean | string
  environment: string
  transports: string[]
  sdk: { version: string, language: string, platform: string }
  connect: (url?: string | SailsOptions, opts?: SailsOptions) => ClientSocket
}

type SailsIo = typeof socketIo & { sails: SailsConfig, socket?: ClientSocket }

const w = window as unknown as { io?: SailsIo, SAILS_LOCALS?: { _environment?: string }, _sailsIoJSConnect?: (response?: unknown) => void }

if (w.io !== undefined && (w.io as Partial<SailsIo>).sails !== undefined) {
  throw new Error('fastify-sockets: the sails.io.js globals are already on this page (is the script included twice?)')
}

// The script tag that loaded us: for its attributes and src, read now (document.currentScript is null later).
const scriptTag = (document.currentScript as HTMLScriptElement | null) ??
  document.getElementsByTagName('script')[document.getElementsByTagName('script').length - 1] ?? null
const scriptSrc = scriptTag?.src ?? ''

function attr (name: string): unknown {
  if (scriptTag === null) return undefined
  const value = scriptTag.getAttribute(`data-${name}`) ?? scriptTag.getAttribute(name)
  if (value === null) return undefined
  try { return JSON.parse(value) } catch { return value }
}

const production = /#production|\.min\.js/.test(scriptSrc) ||
  w.SAILS_LOCALS?._environment === 'staging' || w.SAILS_LOCALS?._environment === 'production'

const io = socketIo as SailsIo
const sails: SailsConfig = {
  autoConnect: true,
  reconnection: false,
  useCORSRouteToGetCookie: true,
  environment: production ? 'production' : 'development',
  transports: ['websocket'],
  sdk: { version: '1.2.1', language: 'javascript', platform: 'browser' },
  connect: sailsConnect
}
for (const name of CONFIGURABLE_VIA_HTML_ATTR) {
  const value = attr(name)
  if (value !== undefined) (sails as unknown as Record<string, unknown>)[name] = value
}
io.sails = sails

function log (...args: unknown[]): void {
  if (io.sails.environment !== 'production') console.log(...args)
}

// sails.io.js options (io.sails defaults under the socket's own) -> SDK options. Unknown keys are ignored as
// sails.io.js ignores them; bad values of known keys throw FST_SOCKETS_CLIENT_OPTIONS_INVALID.
function toClientOptions (own: SailsOptions): { url: string, options: ClientOptions, cookieRoute: string | undefined } {
  const pick = (name: SocketOption): unknown => own[name] ?? (io.sails as SailsOptions)[name]
  const url = String(pick('url') ?? location.origin)
  const options: ClientOptions = { reconnection: pick('reconnection') as boolean }
  const headers = pick('headers')
  if (headers !== undefined) options.headers = headers as Record<string, string>
  const connectionHeaders = pick('initialConnectionHeaders')
  if (connectionHeaders !== undefined) options.initialConnectionHeaders = connectionHeaders as Record<string, string>
  for (const name of ['reconnectionAttempts', 'reconnectionDelay', 'reconnectionDelayMax', 'timeout', 'path', 'transports'] as const) {
    const value = pick(name)
    if (value !== undefined) (options as Record<string, unknown>)[name] = value
  }
  const query = pick('query')
  if (typeof query === 'string') options.query = Object.fromEntries(new URLSearchParams(query))
  else if (query !== undefined) options.query = query as Record<string, string>
  const socketio: Record<string, unknown> = {}
  for (const name of ['multiplex', 'rejectUnauthorized', 'randomizationFactor'] as const) {
    const value = pick(name)
    if (value !== undefined) socketio[name] = value
  }
  options.socketio = socketio

  // Cross-origin: sails.io.js first loads `<url>/__getcookie` as a script so the server can set its cookie.
  const cookie = pick('useCORSRouteToGetCookie')
  let cookieRoute: string | undefined
  const target = new URL(url, location.href)
  if (cookie !== false && cookie !== undefined && target.origin !== location.origin) {
    cookieRoute = target.origin + (typeof cookie === 'string' ? cookie : '/__getcookie')
  }
  return { url: target.origin, options, cookieRoute }
}

// Loads the cookie route as a script; connects when it calls _sailsIoJSConnect() or fails to load
// (sails.io.js waits forever on a failing route; a socket that connects without a cookie is better).
function getCookieThen (src: string, next: () => void): void {
  const script = document.createElement('script')
  let done = false
  const finish = (): void => {
    if (done) return
    done = true
    script.remove()
    next()
  }
  w._sailsIoJSConnect = finish
  script.onerror = finish
  script.src = src
  document.head.appendChild(script)
}

function createSocket (own: SailsOptions): { socket: ClientSocket, open: () => void } {
  let resolved: ReturnType<typeof toClientOptions> | undefined
  const socket = new ClientSocket(() => {
    resolved ??= toClientOptions(own)
    return { url: resolved.url, options: resolveClientOptions(resolved.options) }
  })
  socket.on('connect', () => log(`fastify-sockets: socket connected to ${resolved?.url ?? ''}`))
  socket.on('disconnect', (reason) => log(`fastify-sockets: socket disconnected (${reason})`))
  socket.on('connect_error', (err) => {
    if (io.sails.environment !== 'production') console.warn('fastify-sockets: could not connect (check allowedOrigins / allowRequest on the server):', err.message)
  })
  const open = (): void => {
    resolved ??= toClientOptions(own)
    if (resolved.cookieRoute !== undefined) getCookieThen(resolved.cookieRoute, () => { socket.reconnect() })
    else socket.reconnect()
  }
  return { socket, open }
}

/** `io.sails.connect([url], [opts])`: a new socket, connecting at once (sails.io.js). */
function sailsConnect (url?: string | SailsOptions, opts?: SailsOptions): ClientSocket {
  const own: SailsOptions = { ...(typeof url === 'object' && url !== null ? url : opts) }
  if (typeof url === 'string') own.url = url
  const { socket, open } = createSocket(own)
  open()
  return socket
}

// The eager socket: requests and listeners made now are queued; it connects once the page can no longer
// configure it, so a page can set io.sails.url, io.sails.autoConnect = false, ... after the script tag.
// sails.io.js waits one tick, which Chromium may run before the next inline script of the page (seen in
// tests with a cross-origin script); waiting for the end of parsing keeps that promise.
const eager = createSocket({})
io.socket = eager.socket
function autoConnect (): void {
  if (io.sails.autoConnect === false || io.sails.autoconnect === false) {
    eager.socket.disconnect()
    delete io.socket
    return
  }
  eager.open()
}
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => setTimeout(autoConnect, 0), { once: true })
else setTimeout(autoConnect, 0)

w.io = io
