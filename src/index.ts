// Public API of overlaydiff.
export { diff } from './diff/diff.js';
export * from './diff/diff-mounts.js';
export { applyMounts, type ApplyMountsOptions } from './apply/apply-mounts.js';
export { resolveApplyTarget, type ApplyTarget, type ApplyTargetOptions } from './mounts/apply-target.js';
export { apply, type ApplyFormat, type ApplyOptions, type ApplyResult } from './apply/apply.js';
export { flatten, type FlattenOptions, type FlattenResult } from './apply/flatten.js';
export { verify, type Mismatch, type VerifyOptions } from './verify/verify.js';
export { OverlaydiffError, displayPath, type ErrorCode } from './errors.js';
export { MEDIA_TYPE_TAR, MEDIA_TYPE_TAR_GZIP, MEDIA_TYPE_TAR_ZSTD } from './blob/compress.js';
export { inspectLayer, LINT_RULES, type InspectEntry, type InspectOptions, type InspectResult, type LintFinding, type LintRule, type MemberKind } from './inspect/inspect.js';
export { inspectImage, type InspectImageOptions, type InspectImageResult, type InspectedLayer } from './inspect/inspect-image.js';
export type {
  Compression,
  DiffOptions,
  DiffStats,
  LayerDescriptor,
  TarEntryType,
  XattrNamespace,
} from './types.js';
export type { OciDescriptor } from './store/oci-types.js';
export { diffToLayout, type LayoutDiffOptions, type LayoutDiffResult } from './store/write-image.js';
export { DEFAULT_TAG } from './store/ref-name.js';
export { gc, type GcOptions, type GcResult } from './store/gc.js';
export { fsck, type FsckOptions, type FsckResult } from './store/fsck.js';
export type { Progress, ProgressListener } from './progress.js';
export { removeTag } from './store/remove-tag.js';
export { isValidRefName } from './store/ref-name.js';
export { parseDuration } from './store/grace.js';
