import { P2pError, type P2pErrorCode } from 'nest-p2p-gateway-protocol';

/** A stream's failure: its code, the stream, and how many bytes the receiving app had read (confirmed) by then. */
export class P2pStreamError extends P2pError {
  constructor(
    code: P2pErrorCode,
    message: string | undefined,
    readonly streamId: string,
    /** Bytes of this transfer the receiving app read, as last confirmed to the sender (from the accepted offset on). */
    readonly bytes: number,
  ) {
    super(code, message);
  }
}
