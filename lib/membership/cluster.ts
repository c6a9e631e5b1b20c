import type { Server } from 'socket.io'
import type { ClusterBus } from '../cluster/bus.js'
import { applyLocal, localMembers, localRooms, type Membership } from './membership.js'

/**
 * Membership over the cluster: a change is applied here, then on every other live node, and the Promise
 * resolves only when all acknowledged (FST_SOCKETS_CLUSTER_TIMEOUT names the silent nodes; while Redis
 * is down, FST_SOCKETS_CLUSTER_UNAVAILABLE at once). Queries gather every live node's answer under the
 * same deadline; a partial answer is an error, never a silently short list.
 */
export function clusterMembership (io: Server, bus: ClusterBus, subscriptionsSettled: (rooms: readonly string[]) => Promise<void>,
  broadcastsDelivered: () => Promise<void> = async () => {}): Membership {
  const sockets = io.of('/').sockets
  return {
    async apply (change) {
      // 'streams' delivers a broadcast, here too, once Redis holds it: a change must not overtake the ones sent before it
      await broadcastsDelivered()
      applyLocal(io, change)
      // the sharded adapter subscribes to a channel per room, asynchronously: a join is visible to the
      // other nodes once those subscriptions are answered
      const settled = subscriptionsSettled(change.op === 'join' ? change.rooms : [])
      // A socket lives on one node: a change addressed only to sockets of this node is complete here
      // (no round trip, and it works while Redis is down).
      if (change.sources.every((source) => sockets.has(source))) { await settled; return }
      await Promise.all([settled, bus.apply(change)])
    },
    async members (room) {
      if (sockets.has(room)) return [room]
      const remote = await bus.members(room)
      return [...new Set([...localMembers(io, room), ...remote])]
    },
    async rooms (socketId) {
      return localRooms(io, socketId) ?? await bus.rooms(socketId)
    }
  }
}
