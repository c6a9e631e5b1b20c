import type { FastifyBaseLogger } from 'fastify'
import { FST_SOCKETS_COOKIE_REFUSED } from '../errors.js'
import type { SocketContext } from './context.js'
import type { RequestParts } from './envelope.js'
import { SocketJar, type JarLimits } from './cookie-jar.js'

// The socket's cookie jar in the request's path: the jar's cookies onto a request, an answer's set-cookie
// into the jar. Both are skipped at the cost of one check while a socket has no jar.

/** Puts the socket jar's cookies for this request into its Cookie header (when the socket has a jar). */
export function addJarCookies (ctx: SocketContext, parts: RequestParts): void {
  const jar = ctx.jar
  if (jar === undefined || jar === null) return
  const cookie = jar.cookieHeader(parts.url, parts.headers.cookie)
  if (cookie === undefined) delete parts.headers.cookie
  else parts.headers.cookie = cookie
}

/** Keeps an answer's `set-cookie` in the socket's jar, made now if it has none; logs what it refuses. */
export function keepCookies (ctx: SocketContext, url: string, setCookie: string | number | readonly string[],
  limits: JarLimits, log: FastifyBaseLogger): void {
  if (ctx.jar === undefined) {
    const made = SocketJar.create(ctx.socket.handshake.headers, ctx.socket.handshake.secure, limits)
    if (typeof made === 'string') {
      ctx.jar = null
      log.warn({ socketId: ctx.socket.id, err: new FST_SOCKETS_COOKIE_REFUSED('*', made) }, 'fastify-sockets: this socket keeps no cookies')
      return
    }
    ctx.jar = made
  }
  if (ctx.jar === null) return
  const jar = ctx.jar
  for (const { name, reason } of jar.keep(url, setCookie)) {
    const n = jar.refusals.next()
    if (n === undefined) continue
    // the cookie's name and why, never its value
    log.warn({ socketId: ctx.socket.id, path: url.split('?', 1)[0], refused: n, err: new FST_SOCKETS_COOKIE_REFUSED(name, reason) },
      'fastify-sockets: cookie refused by the socket\'s jar')
  }
}
