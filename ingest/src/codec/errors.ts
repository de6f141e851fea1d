// Typed decode failures. Every error carries the offending bytes and where in the stream
// they started, so a log line (or `firelink decode`) can say exactly what was wrong.

export type DecodeErrorCode =
  /** Bytes before a start marker `@@` that belong to no frame (skipped). */
  | 'garbage'
  /** ADU length field above 1024 (the standard's maximum). */
  | 'length'
  /** Checksum mismatch; the frame was complete, so `header` is filled and a deny can be sent. */
  | 'checksum'
  /** Input ended inside a frame (only from `finish()`). */
  | 'truncated'
  /** Input that is not hex (CLI). */
  | 'hex';

export interface FrameHeaderInfo {
  serial: number;
  source: number;
  destination: number;
  command: number;
}

export class DecodeError extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
    /** The offending bytes (a copy, never a view into the decoder's buffer). */
    readonly bytes: Buffer,
    /** Offset of `bytes[0]` in the stream fed to the decoder. */
    readonly offset: number,
    /** Parsed header fields when the frame was complete (checksum errors). */
    readonly header?: FrameHeaderInfo,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}
