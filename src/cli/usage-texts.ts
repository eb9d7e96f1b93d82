// The help texts of the library commands, apart from their code: the command table, --help, completion
// and the man pages read them without loading what the commands run (the diff engine, gRPC).
import { DEFAULT_ADDRESS, DEFAULT_CONTAINERD_ADDRESS } from '../serve/defaults.js';
import { NO_PROGRESS_USAGE } from './progress-line.js';

export const DIFF_USAGE = `usage: overlaydiff diff --upper DIR[:DIR...] [--lower DIR[:DIR...]] [options]
       overlaydiff diff --mounts FILE.json [options]
       overlaydiff diff --mountpoint DIR [options]

Writes the OCI layer (tar changeset) that turns the lowers' merged view into the snapshot's.

The snapshot, in one of three ways:
  --upper DIR[:DIR...]      the overlay upperdir; several (topmost first) are squashed into one layer
  --lower DIR[:DIR...]      the lowerdirs, topmost first as in overlayfs lowerdir= (escape ':' as '\\:');
                            omit for a first layer
  --workdir DIR             the mount's workdir, for an overlay mounted with index=on: its index
                            holds copied-up hardlinks the upperdir does not show (required then)
  --mounts FILE             containerd mounts as JSON: {"upper": [Mount], "lower": [Mount]}, or just
                            [Mount] for the upper; a Mount is {"type", "source", "options": [...]}.
                            The upper is the snapshot's overlay (or bind) mount, the lower its parent's
                            view, as for containerd's Differ.Compare
  --mountpoint DIR          the overlay mounted at DIR (upperdir, lowerdirs and userxattr read from
                            /proc/self/mountinfo)

Options:
  --xattr-namespace NS      trusted (default, the kernel's) or user (a mount with userxattr);
                            only this namespace's overlay.opaque/whiteout attributes are honoured.
                            With --mounts or --mountpoint it comes from the mount (userxattr → user)
                            and, when given, must agree
  --exclude GLOB            leave out paths matching GLOB (relative, '/'-separated; repeatable):
                            neither emitted nor whited out, subtree included
  --compression ALG         none (default), gzip or zstd
  --level N                 gzip level 1-9 (default 6) or zstd level 1-19 (default 3)
  --source-date-epoch N     clamp mtimes to N seconds (default: $SOURCE_DATE_EPOCH when set)
  -o, --output FILE|-       write the layer to FILE (atomically) or - for stdout; without -o the
                            layer goes to stdout unless it is a terminal
  --json                    print the descriptor as JSON
  --layout DIR              store the layer in the OCI image layout DIR (created if absent) as an
                            image, with its config and manifest, and tag it in index.json; with
                            -o FILE the layer blob is also copied to FILE
  --tag NAME                the image's ref name in index.json (default latest; replaces an image
                            with the same name)
  --base TAG                stack the layer on the image TAG of the same layout
  --verify                  with --mountpoint and -o FILE: check the layer against the mounted
                            snapshot afterwards; exit 1 and list the mismatches if any
${NO_PROGRESS_USAGE}  --debug                   print stack traces on errors
`;

export const APPLY_USAGE = `usage: overlaydiff apply LAYER DIR [options]

Applies the OCI layer LAYER (tar, tar+gzip or tar+zstd, detected; - for stdin) to the directory DIR.
Nothing is written outside DIR: '..' names are refused, absolute names are taken relative to DIR,
symlinks are resolved inside DIR, and a name's last component is never followed.

Options:
  --format FMT              plain (default): whiteouts delete, opaque markers empty their directory;
                            overlay: DIR becomes an overlay lower: whiteouts are char 0:0 devices and
                            opaque directories carry <NS>.overlay.opaque=y
  --xattr-namespace NS      trusted (default) or user (for a mount with userxattr): the namespace of
                            the opaque attribute in overlay format
  --same-owner              apply every member's owner, failing when it cannot (default: as root only,
                            counting owners this user namespace cannot map)
  --diff-id sha256:HEX      check the uncompressed tar against this diffID
  --digest sha256:HEX       check the blob as read (compressed or not) against this digest
  --json                    print the result as JSON
${NO_PROGRESS_USAGE}  --debug                   print stack traces on errors
`;

export const FLATTEN_USAGE = `usage: overlaydiff flatten LAYER... (-o OUT.tar | --dir DIR) [--json]

Applies the layers in order, bottom layer first, and writes the result (a LAYER of - is read from stdin):
  -o, --output FILE|-       one canonical layer (no whiteouts; hardlinks point at their first name);
                            - writes it to stdout and the result to stderr
  --dir DIR                 the tree itself, by applying each layer to DIR in order (DIR is created
                            when absent, its parent is not)
  --json                    print the result as JSON
${NO_PROGRESS_USAGE}`;

export const INSPECT_USAGE = `usage: overlaydiff inspect LAYER [--json] [--lint [--lower DIR[:DIR...]] [--xattr-namespace NS]]
       overlaydiff inspect --layout DIR [--tag NAME] [--json] [--lint]

Lists the members of the OCI layer LAYER (tar, tar+gzip or tar+zstd, detected; - reads stdin), or of every layer
of the image NAME in the OCI image layout DIR, bottom first: type, mode, owner, size,
whiteout/opaque classification and xattr names. For an image it also checks each layer blob against
the manifest (digest, media type) and the config (diffID); a mismatch makes the exit status 1.

Options:
  --lint                    also flag what a correct layer should not have: overlay-private xattrs,
                            char-device (0:0) whiteouts, duplicate entries, children before parents,
                            non-canonical order, empty xattr records; with --lower also whiteouts of
                            paths the lowers lack and opaque markers on dirs the lowers lack.
                            Exit status 1 when anything is found
                            In a layout, each layer's lowers are the image's layers below it
  --lower DIR[:DIR...]      the lowerdirs the layer applies on, topmost first (escape ':' as '\\:')
  --xattr-namespace NS      trusted (default) or user: the namespace of the lowers' overlay xattrs
  --layout DIR              inspect an image of this OCI image layout instead of a layer file
  --tag NAME                the image's ref name in the layout (default: latest)
  --json                    print {compression, digest, diffID, entries, findings} as JSON; for an
                            image {tag, manifest, layers: [{layer, mediaType, ..., mismatches}]}
  --debug                   print stack traces on errors
`;

export const VERIFY_USAGE = `usage: overlaydiff verify --layer LAYER [--lower DIR[:DIR...]] --merged DIR [options]

Applies LAYER in memory on the merged view of the lowerdirs and compares the result with the
snapshot's merged view DIR (a live overlay mountpoint, or a plain tree). Prints each mismatch;
exit status 1 when there is any.

  --xattr-namespace NS   trusted (default) or user: the namespace of the lowers' overlay attributes
  --json                 print {entries, mismatches} as JSON
`;

export const GC_USAGE = `usage: overlaydiff gc --layout DIR [--grace DURATION] [--dry-run] [--json]

Deletes blobs of the OCI image layout DIR that index.json no longer reaches (through nested
indexes, manifests, configs, layers and subjects), and temp files of writers that are gone.
An unreferenced blob younger than the grace period is kept: a writer stores its blobs before it
publishes them in index.json.

Options:
  --grace DURATION   keep unreferenced blobs and temp files younger than this
                     (e.g. 30m, 1h30m, 2d, 0; default 1h)
  --dry-run          list what would be deleted, delete nothing
  --json             print the result as JSON
  --no-progress      no progress line on stderr (drawn only when stderr is a terminal)
`;

export const RM_USAGE = `usage: overlaydiff rm --layout DIR TAG [--json]

Removes the tag TAG from index.json of the OCI image layout DIR. Its blobs stay until gc.
`;

export const FSCK_USAGE = `usage: overlaydiff fsck --layout DIR [--json]

Checks the OCI image layout DIR: re-hashes every blob, checks that every referenced blob exists
with its descriptor's size, and that each image's layers match its config's rootfs.diff_ids.
Exit status 1 when a problem is found.

Options:
  --json             print the result as JSON
  --no-progress      no progress line on stderr (drawn only when stderr is a terminal)
`;

export const SERVE_USAGE = `usage: overlaydiff serve [--address SOCKET] [--containerd-address SOCKET] [options]

Serves containerd's diff API (Diff and Apply) on a unix socket, for containerd >= 2.0 as a proxy
plugin of type "diff". Diff writes layers into containerd's content store over its socket; Apply
unpacks layers into snapshots. Logs one JSON line per call on stderr. SIGTERM or SIGINT stops it.

  --address SOCKET             where to listen (mode 0600) (default ${DEFAULT_ADDRESS})
  --containerd-address SOCKET  containerd's grpc socket (default ${DEFAULT_CONTAINERD_ADDRESS})
  --max-concurrent N           calls doing work at once; more wait (default: CPUs, at least 2)
  --lease-expire DURATION      how long a new blob is kept for its caller (default 24h)
  --shutdown-timeout DURATION  on SIGTERM, how long in-flight calls may finish before they are aborted (default 10s)
  --print-config               print the containerd config snippet for --address and exit
`;
