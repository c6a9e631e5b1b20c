import type { FastifyBaseLogger } from 'fastify'
import type { Server } from 'socket.io'
import type { ResolvedOptions } from '../options.js'
import { FST_SOCKETS_ORIGIN_REFUSED } from '../errors.js'
import { ThinnedCount } from '../common/log.js'
import { answerEngineRequest, queryOf, useEngineMiddleware } from './engine.js'
import { originCheck } from './origins.js'

// Engine.IO asks `allowRequest` about handshakes only. Every later request names its session by `sid` and
// is taken as the session's: polling GETs and POSTs, the websocket upgrade. A page on another origin that
// learnt a socket id (ids are public: they name rooms, they appear in payloads) could, in the victim's
// browser, POST packets into an Engine.IO 3 polling session (they run with the victim's cookie) or upgrade
// the session to its own websocket and read the victim's private emits. So the origin rule is an Engine.IO
// middleware, which runs for every HTTP request and upgrade of Engine.IO 3 and 4 alike, handshakes included,
// before Engine.IO looks at the request (Sails applies its origin check to every request the same way).

/** Applies `allowedOrigins` (and `allowNoOrigin`) to every Engine.IO request; a refusal is a coded 403. */
export function guardOrigins (io: Server, opts: ResolvedOptions, log: FastifyBaseLogger): void {
  if (opts.allowedOrigins === undefined) return
  const check = originCheck(opts.allowedOrigins, opts.allowNoOrigin)
  const refused = new ThinnedCount()
  useEngineMiddleware(io, (req, res, next) => {
    const reason = check(req)
    if (reason === undefined) return next()
    const sid = queryOf(req)?.sid
    // attacker-driven: thinned
    const n = refused.next()
    if (n !== undefined) {
      log.info({ origin: req.headers.origin ?? null, address: req.socket.remoteAddress, session: sid !== undefined, refused: n },
        `fastify-sockets: ${sid === undefined ? 'handshake' : 'request for an existing session'} refused: ${reason}`)
    }
    const err = new FST_SOCKETS_ORIGIN_REFUSED(reason)
    answerEngineRequest(req, res, 403, { statusCode: 403, code: err.code, error: 'Forbidden', message: err.message })
  })
}
