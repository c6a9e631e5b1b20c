import { CookieJar } from 'tough-cookie'

/**
 * An HTTP client with a browser's cookie jar (tough-cookie), for the HTTP side of HTTP-vs-socket
 * comparisons of sessions: it keeps what answers set and sends it back, as the browser would.
 */
export class HttpClient {
  readonly jar = new CookieJar()
  readonly #base: string

  constructor (base: string) {
    this.#base = base
  }

  async call (method: string, path: string, data?: unknown, headers: Record<string, string> = {}): Promise<{ statusCode: number, body: unknown }> {
    const url = this.#base + path
    const cookie = this.jar.getCookieStringSync(url)
    const res = await fetch(url, {
      method: method.toUpperCase(),
      headers: { ...headers, ...(cookie === '' ? {} : { cookie }), ...(data === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(data === undefined ? {} : { body: JSON.stringify(data) })
    })
    for (const line of res.headers.getSetCookie()) this.jar.setCookieSync(line, url)
    const text = await res.text()
    const type = res.headers.get('content-type') ?? ''
    return { statusCode: res.status, body: text.length === 0 ? undefined : type.includes('json') ? JSON.parse(text) : text }
  }

  /** The Cookie header this client sends to `path`: what a browser's socket handshake would carry. */
  cookieFor (path = '/'): string {
    return this.jar.getCookieStringSync(this.#base + path)
  }
}
