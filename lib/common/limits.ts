// Every hard bound of the plugin, in one place. Options may lower some of them (maxRoomNameLength);
// nothing may raise them.

export const LIMITS = Object.freeze({
  /** Longest url of a virtual request, before `data` of a GET is appended as a query. */
  urlLength: 2048,
  /** Longest url once a GET's `data` is appended (a query built from data). */
  queryUrlLength: 2048 * 4,
  /** Headers one virtual request may give. */
  headerCount: 64,
  /** Longest value of one header a virtual request gives. */
  headerValueLength: 8192,
  /** Largest name and value of one cookie a socket's jar keeps (browsers refuse larger ones too). */
  cookieBytes: 4096,
  /** Deepest nesting of a request envelope (an iterative walk refuses more, so no stack overflow). */
  depth: 32,
  /** Longest room name anywhere (`maxRoomNameLength` caps the names a client may choose below it). */
  roomName: 256,
  /** Longest event name. */
  eventName: 256,
  /** Longest resource identity (`[A-Za-z][A-Za-z0-9_-]*`). */
  identity: 64,
  /** Longest record id as a string: keeps `sails_model_<identity>_<id>:<identity>` within `roomName`. */
  recordId: 100,
  /** Longest resource attribute name. */
  attribute: 128,
  /** Longest node id and channel key of a cluster. */
  clusterName: 64,
  /** Most entries of one list in a cluster message. */
  clusterList: 10_000,
  /** Longest string in a cluster message list (a room or socket id). */
  clusterItem: 256
})

/** The largest 32-bit signed integer: the longest delay a Node timer takes. */
export const MAX_TIMER_MS = 2 ** 31 - 1
