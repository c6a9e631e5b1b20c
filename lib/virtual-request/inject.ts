import type { IncomingMessage, ServerResponse } from 'node:http'
import inject, { type Response as InjectResponse } from 'light-my-request'
import { kSocketContext } from '../symbols.js'
import type { Abortable, Dispatcher, Routing } from './dispatch.js'

// `dispatch: 'inject'`: virtual requests through light-my-request, as `fastify.inject` runs them (it is
// light-my-request over `fastify.routing`), with the socket context set on the raw request before routing.
// A real http.ServerResponse on a null socket: exact fidelity for plugins that need what the lean pair does
// not emulate, for about ten times the pair's CPU per request. Same envelope checks, JWRs, deadlines, limits.

type RawRequest = IncomingMessage & { [kSocketContext]?: unknown, socket: { encrypted?: boolean } }

// What the runner holds to tell the route its client went away (request.signal, onRequestAbort), as the
// lean pair's VirtualIncoming.abort does.
class InjectedRequest implements Abortable {
  req: RawRequest | undefined
  aborted = false

  abort (): void {
    if (this.aborted) return
    this.aborted = true
    const req = this.req
    if (req === undefined) return
    ;(req as { aborted: boolean }).aborted = true
    req.emit('aborted')
    req.emit('close')
  }
}

/** The inject dispatcher over `routing()`. */
export function injectDispatcher (routing: () => Routing): Dispatcher {
  return (context, connection, input, done, token) => {
    const handle = new InjectedRequest()
    const headers = input.headers
    inject((raw, res) => {
      const req = raw as RawRequest
      req[kSocketContext] = context
      // light-my-request fills in what a test would forget (a user agent, a host) and normalises the url:
      // a virtual request carries what the socket gave, as the lean pair does
      req.url = input.url
      if (headers['user-agent'] === undefined) delete req.headers['user-agent']
      if (headers.host === undefined) delete req.headers.host
      if (connection.encrypted) req.socket.encrypted = true
      handle.req = req
      routing()(req, res as ServerResponse)
    }, {
      method: input.method as 'GET',
      url: input.url,
      headers,
      ...(input.payload !== undefined ? { payload: input.payload } : input.bytes !== undefined ? { payload: JSON.stringify(input.parsed) } : {}),
      remoteAddress: connection.remoteAddress,
      // the envelope was checked already; light-my-request's own option schema would cost more than the request
      validate: false
    }, (err: Error | undefined, res?: InjectResponse) => {
      if (err !== undefined && err !== null) return done(token, err, undefined)
      const out = res as InjectResponse
      const raw = out.rawPayload
      done(token, undefined, {
        statusCode: out.statusCode,
        headers: { ...out.headers, ...out.trailers } as Record<string, string | string[]>,
        body: raw.length === 0 ? [] : [raw]
      })
    })
    return handle
  }
}
