// `nest-p2p-gateway/client`: the client package, re-exported so that imports written before the split keep working.
export * from 'nest-p2p-gateway-client';
