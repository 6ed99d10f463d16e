import { P2pError, P2pEvent, type SignalPayload } from 'nest-p2p-gateway-protocol';

const EVENT = P2pEvent.SIGNAL;
/** An SDP or a candidate line longer than this is not one a browser makes; `maxMessageBytes` bounds the packet too. */
const MAX_SDP_LENGTH = 65_536;
const MAX_CANDIDATE_LENGTH = 1_024;
const MAX_MID_LENGTH = 256;
const MAX_PATH_ID_LENGTH = 64;

function invalid(message: string): P2pError {
  return new P2pError('INVALID_PAYLOAD', message, EVENT);
}

/**
 * Checks a `P2P_SIGNAL` payload and copies the fields of its type, and only those: the peer receives nothing the
 * server did not look at. Returns the copy or the error to answer with.
 */
export function readSignal(payload: unknown): SignalPayload | P2pError {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return invalid('P2P_SIGNAL takes ({type, ...})');
  const fields = payload as Record<string, unknown>;
  const { type, targetClientId, pathId } = fields;
  if (targetClientId !== undefined && typeof targetClientId !== 'string') return invalid('targetClientId must be a string');
  if (pathId !== undefined && (typeof pathId !== 'string' || pathId.length === 0 || pathId.length > MAX_PATH_ID_LENGTH)) {
    return invalid(`pathId must be a string of 1 to ${MAX_PATH_ID_LENGTH} characters`);
  }
  const target = { ...(pathId === undefined ? {} : { pathId }), ...(targetClientId === undefined ? {} : { targetClientId }) };
  switch (type) {
    case 'offer':
    case 'answer': {
      const { sdp } = fields;
      if (typeof sdp !== 'string' || sdp.length === 0 || sdp.length > MAX_SDP_LENGTH) {
        return invalid(`sdp must be a string of 1 to ${MAX_SDP_LENGTH} characters`);
      }
      return { type, sdp, ...target };
    }
    case 'candidate': {
      const { candidate, sdpMid, sdpMLineIndex } = fields;
      // An empty candidate is the standard "end of candidates" marker.
      if (typeof candidate !== 'string' || candidate.length > MAX_CANDIDATE_LENGTH) {
        return invalid(`candidate must be a string of at most ${MAX_CANDIDATE_LENGTH} characters`);
      }
      if (sdpMid !== undefined && sdpMid !== null && (typeof sdpMid !== 'string' || sdpMid.length > MAX_MID_LENGTH)) {
        return invalid('sdpMid must be a short string or null');
      }
      if (
        sdpMLineIndex !== undefined &&
        sdpMLineIndex !== null &&
        !(Number.isInteger(sdpMLineIndex) && (sdpMLineIndex as number) >= 0 && (sdpMLineIndex as number) < 65_536)
      ) {
        return invalid('sdpMLineIndex must be a small whole number or null');
      }
      return {
        type,
        candidate,
        ...(sdpMid === undefined ? {} : { sdpMid: sdpMid as string | null }),
        ...(sdpMLineIndex === undefined ? {} : { sdpMLineIndex: sdpMLineIndex as number | null }),
        ...target,
      };
    }
    case 'bye':
      return { type, ...target };
    default:
      return invalid("type must be 'offer', 'answer', 'candidate' or 'bye'");
  }
}
