// `nest-p2p-gateway/protocol`: the wire contract package, re-exported so that imports written before the split keep
// working.
export * from 'nest-p2p-gateway-protocol';
