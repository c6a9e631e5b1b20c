import type { IncomingMessage, ServerResponse } from 'node:http'
import { VirtualIncoming, type VirtualConnection, type DispatchInput } from './request.js'
import { VirtualOutgoing, type DispatchDone } from './response.js'

export type { DispatchInput } from './request.js'
export type { DispatchOutput, DispatchDone } from './response.js'

// Runs one virtual request through `fastify.routing` with a request/response pair of our own, in place
// of light-my-request. Fastify runs its whole lifecycle on it as for HTTP (hooks, body parsing,
// validation, serializers, error and 404 handlers, onResponse). Why: under the round-trip bench
// (`npm run bench -- --prof`) light-my-request was most of the plugin's cost: per request a Readable
// plus a real http.ServerResponse on a null socket, option handling, `new URL` parsing, header
// normalisation of input the plugin had already checked, HTTP header text rendered and parsed back,
// Buffer copies and a result object with cookie parsing; about 40 µs of CPU per request where this
// pair costs about 4, and 162 µs against raw socket.io's 31 for the whole round trip where it is now ~45.
// Repeated work left, the price of running Fastify's real parsers and serializers: a JSON body is
// stringified again for any parser but Fastify's default (json-handoff.ts; for the others its size is counted
// without making the text, json-size.ts), and the answer serialised by Fastify is parsed once for the JWR (its
// text then spliced into the ack, ack-encoder.ts). `dispatch: 'inject'` (inject.ts) runs light-my-request instead, for apps that need a real
// ServerResponse (what this pair does not emulate is listed in not-emulated.ts).

/** What `fastify.routing` takes. */
export type Routing = (req: IncomingMessage, res: ServerResponse) => void

/** A dispatched request, as far as its caller needs it: it can be told its client went away. */
export interface Abortable { abort (): void }

/**
 * Runs one virtual request: `context` reaches the raw request under `kSocketContext` before routing;
 * `done(token, err, output)` is called once, on the tick after the answer ended (or with an error if the
 * response was destroyed first).
 */
export type Dispatcher = <T>(context: unknown, connection: VirtualConnection, input: DispatchInput,
  done: DispatchDone<T>, token: T) => Abortable

/**
 * Runs one virtual request through Fastify's router on the lean pair. `context` is set on the raw request under
 * `kSocketContext` before routing; `done(token, err, output)` is called once, on the tick after the
 * answer ended (or with an error if the response was destroyed first).
 */
export function dispatch<T> (routing: Routing, context: unknown, connection: VirtualConnection, input: DispatchInput,
  done: DispatchDone<T>, token: T): Abortable {
  const req = new VirtualIncoming(context, connection, input)
  const res = new VirtualOutgoing(req, done, token)
  try {
    routing(req as unknown as IncomingMessage, res as unknown as ServerResponse)
  } catch (err) {
    // Fastify reports its errors through the reply; should one escape, the request still ends, once
    res.destroy(err instanceof Error ? err : new Error(String(err)))
  }
  return req
}

/** The lean dispatcher over `routing()` (read per request: Fastify's router, once the app is ready). */
export function leanDispatcher (routing: () => Routing): Dispatcher {
  return (context, connection, input, done, token) => dispatch(routing(), context, connection, input, done, token)
}
