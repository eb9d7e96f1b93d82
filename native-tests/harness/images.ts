// Shared by the containerd tests: the scenario of a 2-layer image and the images of an OCI layout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from './overlay.js';

export interface LayoutImage {
  tag: string;
  manifest: string;
  config: { architecture: string; os: string; rootfs: { diff_ids: string[] } };
}

export function layoutImages(layout: string): LayoutImage[] {
  const blob = (digest: string): string => readFileSync(join(layout, 'blobs/sha256', digest.slice('sha256:'.length)), 'utf8');
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  return index.manifests.map((m) => {
    const manifest = JSON.parse(blob(m.digest)) as { config: { digest: string } };
    return {
      tag: m.annotations?.['org.opencontainers.image.ref.name'] ?? '',
      manifest: m.digest,
      config: JSON.parse(blob(manifest.config.digest)) as LayoutImage['config'],
    };
  });
}

/** Whiteouts (files and a tree), an opaque dir, a hardlink, symlinks, an xattr, setuid/sticky bits, owners, a fifo, odd and long names. */
export function prepareSnapshot(s: Scenario): void {
  // In user mode the merged view is read inside `unshare -Ur`, where uid 1000 is unmapped (65534).
  const owned = s.mode === 'trusted' ? 'chown -R 1000:1000 $L0/home/user' : ':';
  s.prepare(`
    mkdir -p $L0/etc/app $L0/var/cache/pkg $L0/opt/old/sub $L0/usr/bin $L0/home/user $L0/tmp
    echo base > $L0/etc/app/conf; echo keep > $L0/etc/hostname; echo gone > $L0/var/cache/pkg/x
    echo old > $L0/opt/old/sub/f; echo tool > $L0/usr/bin/tool; ln -s hostname $L0/etc/link
    echo mine > $L0/home/user/file; ${owned}; chmod 0640 $L0/etc/hostname; chmod 1777 $L0/tmp`);
  const long = `deep/${'d'.repeat(90)}/${'e'.repeat(90)}`;
  s.change(`
    echo changed > etc/app/conf; rm etc/hostname; rm -r var/cache/pkg
    rm -r opt/old; mkdir -p opt/old; echo fresh > opt/old/g
    ln etc/app/conf etc/app/conf-link; ln -sfn app/conf etc/link; ln -s /nowhere dangling
    setfattr -n user.note -v hello etc/app/conf; chmod 4755 usr/bin/tool; chmod 0711 etc/app
    mkfifo run.fifo; : > empty; printf x > "$(printf 'bin\\377name')"
    mkdir -p ${long}; echo long > ${long}/file`);
}
