// The OCI image-layout documents overlaydiff reads and writes, with guards that narrow parsed JSON.
import { isSha256Digest } from '../blob/digest.js';

export const MEDIA_TYPE_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_TYPE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_CONFIG = 'application/vnd.oci.image.config.v1+json';
// Docker's equivalents may sit in a layout copied by skopeo; they nest the same way.
export const MEDIA_TYPE_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const IMAGE_LAYOUT_VERSION = '1.0.0';

/** A content descriptor; unknown fields are kept when a document is rewritten. */
export interface OciDescriptor {
  /** The media type of the content. */
  readonly mediaType: string;
  /** `sha256:<hex>` of the content. */
  readonly digest: string;
  /** Size of the content in bytes. */
  readonly size: number;
  /** Annotations (e.g. `org.opencontainers.image.ref.name` in index.json). */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

export interface OciIndex {
  readonly schemaVersion: number;
  readonly mediaType?: string;
  readonly manifests: readonly OciDescriptor[];
  readonly subject?: OciDescriptor;
  readonly [key: string]: unknown;
}

export interface OciManifest {
  readonly schemaVersion: number;
  readonly mediaType?: string;
  readonly config: OciDescriptor;
  readonly layers: readonly OciDescriptor[];
  readonly subject?: OciDescriptor;
  readonly [key: string]: unknown;
}

export interface ImageConfig {
  readonly created?: string;
  readonly architecture: string;
  readonly os: string;
  readonly config?: Record<string, unknown>;
  readonly rootfs: { readonly type: 'layers'; readonly diff_ids: readonly string[] };
  readonly history?: readonly Record<string, unknown>[];
  readonly [key: string]: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isDescriptor(value: unknown): value is OciDescriptor {
  return (
    isObject(value) &&
    typeof value['mediaType'] === 'string' &&
    typeof value['digest'] === 'string' &&
    typeof value['size'] === 'number' &&
    Number.isSafeInteger(value['size']) &&
    value['size'] >= 0 &&
    (value['annotations'] === undefined || isStringRecord(value['annotations']))
  );
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

export function isIndex(value: unknown): value is OciIndex {
  return (
    isObject(value) &&
    value['schemaVersion'] === 2 &&
    Array.isArray(value['manifests']) &&
    value['manifests'].every(isDescriptor) &&
    (value['subject'] === undefined || isDescriptor(value['subject']))
  );
}

export function isManifest(value: unknown): value is OciManifest {
  return (
    isObject(value) &&
    value['schemaVersion'] === 2 &&
    isDescriptor(value['config']) &&
    Array.isArray(value['layers']) &&
    value['layers'].every(isDescriptor) &&
    (value['subject'] === undefined || isDescriptor(value['subject']))
  );
}

export function isImageConfig(value: unknown): value is ImageConfig {
  if (!isObject(value) || typeof value['architecture'] !== 'string' || typeof value['os'] !== 'string') return false;
  const rootfs = value['rootfs'];
  return isObject(rootfs) && rootfs['type'] === 'layers' && Array.isArray(rootfs['diff_ids']) && rootfs['diff_ids'].every(isSha256Digest);
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_INDEX || mediaType === MEDIA_TYPE_DOCKER_LIST;
}

export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPE_MANIFEST || mediaType === MEDIA_TYPE_DOCKER_MANIFEST;
}

/** The tag of an index entry, if it has one. */
export function refNameOf(descriptor: OciDescriptor): string | undefined {
  return descriptor.annotations?.[REF_NAME_ANNOTATION];
}
