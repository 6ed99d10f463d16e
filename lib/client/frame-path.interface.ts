export interface FramePath {
  /** Sends one frame to the peer; false when this path cannot carry it now (closed or not open yet). */
  send(frame: object): boolean;
}
