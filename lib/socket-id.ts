// socket.io ids are 20 characters of base64url (15 random bytes). A node cannot know the ids held by
// other nodes, so a name of that shape is treated as a possible socket id wherever that matters
// (room patterns let ids through; client-chosen joins refuse them).

const SOCKET_ID_SHAPE = /^[A-Za-z0-9_-]{20}$/

/** Whether `name` has the shape of a socket.io socket id. */
export function looksLikeSocketId (name: string): boolean {
  return SOCKET_ID_SHAPE.test(name)
}
