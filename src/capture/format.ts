/**
 * The cryptofeed capture format: the public entry of src/capture (see line.ts for the
 * grammar, reader.ts and writer.ts for the file layout).
 */
export { type CaptureEvent, CaptureFormatError, parseCaptureLine, formatCaptureLine, formatTime } from './line.js';
export { readCaptureFiles, groupSources } from './reader.js';
export { CaptureWriter, type CaptureWriterOptions } from './writer.js';
