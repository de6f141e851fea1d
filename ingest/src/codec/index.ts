// The GB/T 26875.3 codec: transport-free, pure.
export * from './errors.ts';
export * from './time-label.ts';
export * from './frame.ts';
export * from './frame-decoder.ts';
export * from './adu.ts';
export * from './describe.ts';
export { AsciiHexFramer, detectWireFormat, toAsciiHex } from './ascii-hex.ts';
