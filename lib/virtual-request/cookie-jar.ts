import type { IncomingHttpHeaders } from 'node:http'
import { CookieJar, MemoryCookieStore, pathMatch, type Callback, type Cookie } from 'tough-cookie'
import { LIMITS } from '../common/limits.js'
import { ThinnedCount } from '../common/log.js'

// A socket's cookie jar: what the app's answers over one socket set (`set-cookie`, which never reaches the
// client) is kept server-side and sent with that socket's later requests, as a browser's jar would (RFC 6265,
// through tough-cookie): Path, Expires/Max-Age and deletion, Secure only over an https handshake, host-only
// versus Domain cookies against the handshake's host. Made on the first answer that sets a cookie: a socket
// whose answers never do has no jar and pays nothing. Bounded per domain, as browsers bound a domain.

/** The bounds of one socket's jar. */
export interface JarLimits {
  readonly maxCookiesPerDomain: number
  readonly maxBytesPerDomain: number
}

/** Why the jar refused a cookie. */
export class CookieRefused extends Error {}

function sizeOf (cookie: Cookie): number {
  return Buffer.byteLength(cookie.key) + Buffer.byteLength(cookie.value)
}

function expired (cookie: Cookie, now: number): boolean {
  const at = cookie.expiryTime()
  return at !== undefined && at <= now
}

// tough-cookie's memory store, bounded when a cookie is stored: past the bounds the new cookie is refused
// (a browser would evict an old one, possibly the session cookie, silently); expired cookies make room first.
// A cookie that arrives expired (a deletion) removes the one it names instead of being kept.
class BoundedStore extends MemoryCookieStore {
  readonly #limits: JarLimits

  constructor (limits: JarLimits) {
    super()
    this.#limits = limits
  }

  override putCookie (cookie: Cookie): Promise<void>
  override putCookie (cookie: Cookie, callback: Callback<void>): void
  override putCookie (cookie: Cookie, callback?: Callback<void>): unknown {
    const now = Date.now()
    if (expired(cookie, now)) {
      const [domain, path] = [cookie.domain ?? '', cookie.path ?? '']
      return callback === undefined ? this.removeCookie(domain, path, cookie.key) : this.removeCookie(domain, path, cookie.key, callback as (err: Error | null) => void)
    }
    // tough-cookie counts Max-Age from the cookie's last access, which every request renews: the expiry of
    // RFC 6265 (5.3, step 3) is fixed when the cookie is stored, so it is made absolute here
    if (typeof cookie.maxAge === 'number') {
      cookie.expires = new Date(now + cookie.maxAge * 1000)
      cookie.maxAge = null
    }
    const problem = this.#room(cookie, now)
    if (problem !== undefined) {
      const err = new CookieRefused(problem)
      if (callback === undefined) return Promise.reject(err)
      callback(err, undefined)
      return undefined
    }
    return callback === undefined ? super.putCookie(cookie) : super.putCookie(cookie, callback as (err: Error | null) => void)
  }

  override updateCookie (oldCookie: Cookie, newCookie: Cookie): Promise<void>
  override updateCookie (oldCookie: Cookie, newCookie: Cookie, callback: Callback<void>): void
  override updateCookie (_oldCookie: Cookie, newCookie: Cookie, callback?: Callback<void>): unknown {
    return callback === undefined ? this.putCookie(newCookie) : this.putCookie(newCookie, callback)
  }

  // Whether `cookie` fits its domain, once it replaces the cookie of the same path and name, if any.
  #room (cookie: Cookie, now: number): string | undefined {
    const size = sizeOf(cookie)
    if (size > LIMITS.cookieBytes) return `its name and value are larger than ${LIMITS.cookieBytes} bytes`
    const domain = this.idx[cookie.domain ?? ''] ?? {}
    let count = 1
    let bytes = size
    const stale: Cookie[] = []
    for (const path of Object.keys(domain)) {
      for (const [key, other] of Object.entries(domain[path] ?? {})) {
        if (path === cookie.path && key === cookie.key) continue
        count++
        bytes += sizeOf(other)
        if (expired(other, now)) stale.push(other)
      }
    }
    const { maxCookiesPerDomain, maxBytesPerDomain } = this.#limits
    stale.sort((a, b) => a.creationIndex - b.creationIndex)
    for (const old of stale) {
      if (count <= maxCookiesPerDomain && bytes <= maxBytesPerDomain) break
      delete domain[old.path ?? '']?.[old.key]
      count--
      bytes -= sizeOf(old)
    }
    if (count > maxCookiesPerDomain) return `the jar already holds ${maxCookiesPerDomain} cookies for ${String(cookie.domain)} (maxCookiesPerDomain)`
    if (bytes > maxBytesPerDomain) return `the jar would hold more than ${maxBytesPerDomain} bytes for ${String(cookie.domain)} (maxBytesPerDomain)`
    return undefined
  }
}

/** The `name=value` pairs of a Cookie request header, in order. */
function cookiePairs (header: string): Array<{ name: string, pair: string }> {
  const pairs: Array<{ name: string, pair: string }> = []
  for (const part of header.split(';')) {
    const pair = part.trim()
    if (pair.length === 0) continue
    const eq = pair.indexOf('=')
    pairs.push({ name: (eq === -1 ? pair : pair.slice(0, eq)).trim(), pair })
  }
  return pairs
}

/** A cookie the jar refused, for the log line. */
export interface Refusal { name: string, reason: string }

/**
 * One socket's jar. `origin` (`http://host` or `https://host`) is what the socket's handshake addressed;
 * `handshakeCookie` the Cookie header the handshake carried, whose cookies the jar's replace by name.
 */
export class SocketJar {
  readonly #jar: CookieJar
  readonly #origin: string
  // The handshake's cookies, and the paths under which the app has set or deleted a cookie of each name:
  // there, the handshake's cookie of that name is the browser's older value and is no longer sent.
  readonly #handshake: Array<{ name: string, pair: string }> | undefined
  readonly #shadowed = new Map<string, Set<string>>()
  /** Cookies refused so far, so the log lines about them thin out. */
  readonly refusals = new ThinnedCount()

  private constructor (origin: string, handshakeCookie: string | undefined, limits: JarLimits) {
    this.#origin = origin
    this.#handshake = handshakeCookie === undefined ? undefined : cookiePairs(handshakeCookie)
    // allowSecureOnLocal: false, so Secure cookies need an https handshake even on localhost;
    // prefixSecurity: 'strict', so a refused __Secure-/__Host- cookie is reported instead of skipped.
    this.#jar = new CookieJar(new BoundedStore(limits), { allowSecureOnLocal: false, prefixSecurity: 'strict' })
  }

  /**
   * The jar of a socket with these handshake headers, or a reason there cannot be one (a host that is not
   * a host). https when the handshake came over TLS, or a proxy in front says it did (`x-forwarded-proto`).
   */
  static create (headers: IncomingHttpHeaders, encrypted: boolean, limits: JarLimits): SocketJar | string {
    const proto = headers['x-forwarded-proto']
    const forwarded = (Array.isArray(proto) ? proto[0] : proto)?.split(',', 1)[0]?.trim().toLowerCase()
    const scheme = encrypted || forwarded === 'https' ? 'https' : 'http'
    const host = typeof headers.host === 'string' && headers.host.length > 0 ? headers.host : 'localhost'
    let origin: string
    try {
      const url = new URL(`${scheme}://${host}/`)
      if (url.pathname !== '/' || url.search !== '' || url.username !== '') throw new Error('not a host')
      origin = url.origin
    } catch {
      return `the handshake's host '${host.slice(0, 64)}' is not a host name`
    }
    const cookie = headers.cookie
    return new SocketJar(origin, typeof cookie === 'string' && cookie.length > 0 ? cookie : undefined, limits)
  }

  /** Keeps the cookies an answer to `url` (a path with its query) set; returns those it refused. */
  keep (url: string, setCookie: string | number | readonly string[]): Refusal[] {
    const refused: Refusal[] = []
    const target = this.#origin + url
    for (const text of Array.isArray(setCookie) ? setCookie as string[] : [String(setCookie)]) {
      let stored: Cookie | undefined
      try {
        stored = this.#jar.setCookieSync(text, target)
      } catch (err) {
        const eq = text.indexOf('=')
        refused.push({ name: text.slice(0, Math.min(eq === -1 ? 64 : eq, 64)).trim(), reason: (err as Error).message })
        continue
      }
      if (stored === undefined) continue
      if (this.#handshake?.some((c) => c.name === stored.key) === true) {
        let paths = this.#shadowed.get(stored.key)
        if (paths === undefined) this.#shadowed.set(stored.key, paths = new Set())
        paths.add(stored.path ?? '/')
      }
    }
    return refused
  }

  /**
   * The Cookie header of a request to `url`: `given` (the handshake's cookie, or a per-request one when the
   * handshake had none) with the jar's cookies for that url in place of those of the same name.
   */
  cookieHeader (url: string, given: string | undefined): string | undefined {
    // sorted as RFC 6265 (5.4) asks: longer paths first, then older cookies first
    const live = this.#jar.getCookiesSync(this.#origin + url, { sort: true })
    const names = new Set(live.map((c) => c.key))
    const fromHandshake = given !== undefined && this.#handshake !== undefined
    const path = url.split('?', 1)[0] as string
    const kept: string[] = []
    for (const { name, pair } of fromHandshake ? this.#handshake as Array<{ name: string, pair: string }> : given === undefined ? [] : cookiePairs(given)) {
      if (names.has(name)) continue
      const paths = fromHandshake ? this.#shadowed.get(name) : undefined
      if (paths !== undefined && [...paths].some((p) => pathMatch(path, p))) continue
      kept.push(pair)
    }
    for (const cookie of live) kept.push(cookie.cookieString())
    return kept.length === 0 ? undefined : kept.join('; ')
  }
}
