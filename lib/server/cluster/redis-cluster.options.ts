/**
 * What the module uses of an ioredis client given as `redis.client`: an ioredis `Redis` fits. Declared here rather than
 * imported, so the server's type declarations do not need ioredis for apps that never use Redis.
 */
export interface P2pRedisClient {
  duplicate(override?: object): unknown;
}

/** `P2pModule.forRoot({ redis })`: run the gateway as one node of a cluster sharing state over Redis. */
export interface P2pRedisOptions {
  /**
   * Where Redis is, when no `client` is given.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string | undefined;
  /**
   * An ioredis client (say, from DI through forRootAsync). The module only duplicates it (for the store and the
   * adapter's publish and subscribe connections) and never closes it.
   */
  client?: P2pRedisClient | undefined;
  /**
   * Prefix of every key and channel, so several gateways can share one Redis.
   * @default 'p2p'
   */
  keyPrefix?: string | undefined;
  /**
   * Use Redis 7 sharded pub/sub (the adapter's `createShardedAdapter`, one channel per socket): only the node holding
   * a socket receives what is sent to it. Otherwise every node receives every cross-node message.
   * @default false
   */
  sharded?: boolean | undefined;
  /**
   * A node not heard from for this long is dead: its clients are removed and their peers on other nodes get
   * `P2P_DISCONNECT(clientId, 'DISCONNECTED')`. Dead nodes are swept within about 1.2 × this.
   * @default 5000
   */
  nodeTtlMs?: number | undefined;
}
