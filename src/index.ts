// Public API of overlaydiff.
export { diff } from './diff/diff.js';
export * from './diff/diff-mounts.js';
export { apply, type ApplyFormat, type ApplyOptions, type ApplyResult } from './apply/apply.js';
export { flatten, type FlattenOptions, type FlattenResult } from './apply/flatten.js';
export { verify, type Mismatch, type VerifyOptions } from './apply/verify.js';
export { OverlaydiffError, displayPath, type ErrorCode } from './errors.js';
export { MEDIA_TYPE_TAR } from './blob/compress.js';
export type {
  Compression,
  DiffOptions,
  DiffStats,
  LayerDescriptor,
  XattrNamespace,
} from './types.js';
