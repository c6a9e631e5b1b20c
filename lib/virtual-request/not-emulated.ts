// The members of http.ServerResponse and http.IncomingMessage (their prototypes, OutgoingMessage's, and the
// fields their constructors set) that the virtual pair knowingly does not have, each with the reason.
// Everything else they have, the pair has too, with Node's checks (test/virtual-request/surface.test.ts
// walks Node's prototypes and fails on a member that is neither here nor implemented, so a Node upgrade
// that adds one shows up as a red test). Fastify 5 core and the plugins the suite runs use none of these;
// an app that needs one runs its virtual requests with `dispatch: 'inject'` (a real ServerResponse).

const RENDERING = 'renders and writes HTTP/1.1 text to a TCP socket: a virtual answer is handed over as status, headers and body, never rendered'
const FRAMING = 'HTTP/1.1 framing or keep-alive state of a TCP connection, which a virtual request does not have'
const CONNECTION = 'ties the response to a TCP socket of the HTTP server; a virtual response has none to assign'
const PARSER = "a callback of Node's HTTP parser; a virtual request's headers arrive as one checked object"

/** ServerResponse / OutgoingMessage members the virtual response does not have. */
export const RESPONSE_NOT_EMULATED: Readonly<Record<string, string>> = Object.freeze({
  assignSocket: CONNECTION,
  detachSocket: CONNECTION,
  _finish: RENDERING,
  _send: RENDERING,
  _writeRaw: RENDERING,
  _storeHeader: RENDERING,
  _renderHeaders: RENDERING,
  _flush: RENDERING,
  _flushOutput: RENDERING,
  _header: 'the rendered header text: never rendered (`headersSent` tells whether the headers went)',
  _headers: 'deprecated (DEP0066): use getHeaders()',
  _headerNames: 'deprecated (DEP0066): use getRawHeaderNames()',
  outputData: FRAMING,
  outputSize: FRAMING,
  _last: FRAMING,
  chunkedEncoding: FRAMING,
  useChunkedEncodingByDefault: FRAMING,
  shouldKeepAlive: FRAMING,
  maxRequestsOnConnectionReached: FRAMING,
  _defaultKeepAlive: FRAMING,
  _removedConnection: FRAMING,
  _removedContLen: FRAMING,
  _removedTE: FRAMING,
  _contentLength: FRAMING,
  _hasBody: FRAMING,
  _trailer: FRAMING,
  _keepAliveTimeout: FRAMING,
  _onPendingData: FRAMING,
  _sent100: FRAMING,
  _expect_continue: FRAMING,
  _headerSent: FRAMING,
  _closed: 'internal flag behind `closed`, which is implemented',
  strictContentLength: 'the body is collected whole and its content-length counted as it is handed over, so a length that does not match the body cannot reach the client'
})

/** IncomingMessage members the virtual request does not have. */
export const REQUEST_NOT_EMULATED: Readonly<Record<string, string>> = Object.freeze({
  _addHeaderLines: PARSER,
  _addHeaderLine: PARSER,
  _addHeaderLineDistinct: PARSER,
  _dump: 'discards the unread body of a TCP request so the connection can be reused; a virtual body is already in memory',
  _consuming: PARSER,
  _dumped: PARSER
})
