// Public API of overlaydiff: what a snapshotter or an image builder calls, each name listed once.

// Diff: an overlay snapshot → one OCI layer blob, or the change stream for a writer of one's own.
export { diff } from './diff/diff.js';
export { changes } from './diff/changes.js';
export { diffMounts, type DiffMountsOptions } from './diff/diff-mounts.js';
export type {
  Change,
  ChangesOptions,
  Compression,
  DataSource,
  DeleteChange,
  DiffOptions,
  DiffResult,
  DiffStats,
  EntryChange,
  FileType,
  FsEntry,
  FsStat,
  LayerAnnotations,
  LayerDescriptor,
  LinksOutside,
  OpaqueChange,
  ParentChange,
  TarEntryType,
  Xattr,
  XattrNamespace,
} from './types.js';
export type { Mount } from './mounts/containerd-mounts.js';
export type { OverlayModuleDefaults } from './mounts/module-defaults.js';
export { MEDIA_TYPE_TAR, MEDIA_TYPE_TAR_GZIP, MEDIA_TYPE_TAR_ZSTD } from './blob/compress.js';

// Apply, flatten, verify: a layer → a directory, one layer, or a verdict on a diff.
export { apply, type ApplyFormat, type ApplyOptions, type ApplyResult } from './apply/apply.js';
export { applyMounts, type ApplyMountsOptions } from './apply/apply-mounts.js';
export { flatten, type FlattenOptions, type FlattenResult } from './apply/flatten.js';
export { verify, type Mismatch, type VerifyOptions, type VerifyResult } from './verify/verify.js';

// Inspect: a layer's members and lint findings, alone or as the layers of an image.
export {
  inspectLayer,
  LINT_RULES,
  type InspectEntry,
  type InspectOptions,
  type InspectResult,
  type LintFinding,
  type LintRule,
  type MemberKind,
} from './inspect/inspect.js';
export { inspectImage, type InspectImageOptions, type InspectImageResult, type InspectedLayer } from './inspect/inspect-image.js';

// OCI image layout store: write an image, drop a tag, collect garbage, check.
export { diffToLayout, type LayoutDiffOptions, type LayoutDiffResult } from './store/write-image.js';
export { removeTag, type RemoveTagOptions } from './store/remove-tag.js';
export { gc, type GcOptions, type GcResult } from './store/gc.js';
export { fsck, type FsckOptions, type FsckResult } from './store/fsck.js';
export { DEFAULT_TAG, isValidRefName } from './store/ref-name.js';
export type { OciDescriptor } from './store/oci-types.js';

// Errors and progress, shared by every function above.
export { OverlaydiffError, displayPath, type ErrorCode } from './errors.js';
export type { Progress, ProgressListener } from './progress.js';
