// The Debian metadata of the vrrpd package, as text: DEBIAN/control, the
// machine-readable copyright file (with the npm packages the bundle contains) and
// changelog.Debian. The maintainer scripts are plain files in src/pkg/debian/.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundledPackage } from './bundle.js';

export interface ControlFields {
  version: string;
  arch: string;
  maintainer: string;
  installedSizeKiB: number;
  /** from dpkg-shlibdeps for the native addon, e.g. "libc6 (>= 2.34), libstdc++6 (>= 5)" */
  shlibDepends: string;
}

const SYNOPSIS = 'VRRP and IPVS health-checking daemon for load-balancer directors';

/** The extended description: paragraphs refilled to lines under 80 columns, " ." between. */
function extended(text: string): string {
  const fill = (p: string): string[] => {
    const lines: string[] = [];
    let cur = '';
    for (const w of p.split(/\s+/).filter((x) => x.length > 0)) {
      if (cur && cur.length + 1 + w.length > 76) {
        lines.push(cur);
        cur = w;
      } else cur = cur ? `${cur} ${w}` : w;
    }
    if (cur) lines.push(cur);
    return lines.map((l) => ` ${l}`);
  };
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => fill(p).join('\n'))
    .join('\n .\n');
}

export function controlFile(f: ControlFields): string {
  const depends = [
    'nodejs (>= 20)',
    // systemd-sysusers / systemd-tmpfiles are provided by systemd or the standalone packages
    'systemd-sysusers',
    'systemd-tmpfiles',
    // `vrrpd lab` drives network namespaces with ip(8)
    'iproute2',
    f.shlibDepends,
  ].filter((d) => d.length > 0);
  return `Package: vrrpd
Version: ${f.version}
Architecture: ${f.arch}
Maintainer: ${f.maintainer}
Installed-Size: ${f.installedSizeKiB}
Depends: ${depends.join(', ')}
Recommends: nftables
Suggests: ipvsadm, curl
Section: net
Priority: optional
Description: ${SYNOPSIS}
${extended(`vrrpd keeps virtual IP addresses alive with VRRP (versions 2 and 3, IPv4 and IPv6) and
keeps the kernel's IPVS table in step with the health of the real servers (TCP, HTTP, HTTPS
and script checks). It replaces keepalived on Linux load-balancer directors and reads
keepalived.conf through "vrrpd import-keepalived", and an ipvsadm table (ipvsadm-save
output or a boot script) through "vrrpd import-ipvsadm".

The VRRP engine runs in its own thread; "vrrpd status" shows instances, addresses and real
servers over a control socket, reloads apply the difference without flapping, and metrics
are served for Prometheus. The service is installed but neither enabled nor started: edit
/etc/vrrpd/vrrpd.yaml first.`)}
`;
}

/** deb-changelog(5) date: "Thu, 03 Dec 2026 08:00:00 +0000". */
export function rfc2822(d: Date): string {
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getUTCMonth()
  ]!;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${p(d.getUTCDate())} ${mon} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function changelog(opts: { version: string; maintainer: string; date: Date; commit: string }): string {
  const from = opts.commit ? ` at commit ${opts.commit}` : '';
  return `vrrpd (${opts.version}) unstable; urgency=medium

  * Package built from the vrrpd repository${from} by "npm run deb".

 -- ${opts.maintainer}  ${rfc2822(opts.date)}
`;
}

// ------------------------------------------------------------------ copyright

const COPYRIGHT_LINE = /^\s*(Copyright\s+(\([cC]\)|©|\d|[A-Z]).*)$/;
const TITLE_LINE = /^\s*\(?(The )?(MIT|ISC) License( \(MIT\))?\)?\s*$/i;
// Licences Debian ships in /usr/share/common-licenses: referred to, not repeated.
const COMMON_LICENSES = new Set(['Apache-2.0', 'GPL-2', 'GPL-3', 'LGPL-2.1', 'LGPL-3', 'MPL-2.0']);

function licenseFile(dir: string): string | null {
  for (const name of ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'LICENCE', 'license']) {
    const p = join(dir, name);
    if (existsSync(p)) return readFileSync(p, 'utf8');
  }
  return null;
}

function copyrightLines(pkg: BundledPackage): string[] {
  const text = licenseFile(pkg.dir) ?? '';
  const lines = text
    .split('\n')
    .map((l) => COPYRIGHT_LINE.exec(l)?.[1]?.trim())
    .filter((l): l is string => l !== undefined && !l.includes('[yyyy]'))
    .map((l) => l.replace(/^Copyright\s+/, ''));
  return lines.length > 0 ? lines : [`the authors of ${pkg.name}`];
}

/** The licence's own text from a package's LICENSE file, without title and copyright lines. */
function licenseText(pkg: BundledPackage): string {
  const text = licenseFile(pkg.dir);
  if (!text)
    throw new Error(`${pkg.name} ${pkg.version} has no LICENSE file to take the ${pkg.license} text from`);
  return text
    .split('\n')
    .filter(
      (l) => !COPYRIGHT_LINE.test(l) && !TITLE_LINE.test(l) && !/^\s*All rights reserved\.?\s*$/i.test(l),
    )
    .join('\n')
    .trim();
}

/** A deb822 multi-line value: each line indented, blank lines as " .". */
function fieldLines(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.replace(/\s+$/, '')}`))
    .join('\n');
}

/** Files of the package that contain third-party code, and whose code that is. */
export interface BundledFiles {
  files: string[];
  packages: BundledPackage[];
  /** what the packages went in as, e.g. "bundled" */
  how: string;
}

export function copyrightFile(opts: {
  projectLicense: string;
  holder: string;
  year: number;
  bundles: BundledFiles[];
}): string {
  const all = opts.bundles.flatMap((b) => b.packages);
  const idsOf = (ps: BundledPackage[]) => [...new Set([opts.projectLicense, ...ps.map((p) => p.license)])];
  const ids = idsOf(all);
  for (const id of ids)
    if (!/^[A-Za-z0-9.+-]+$/.test(id)) throw new Error(`bundled licence "${id}" needs a look by hand`);
  const parts = [
    `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vrrpd

Files: *
Copyright: ${opts.year} ${opts.holder}
License: ${opts.projectLicense}`,
  ];
  for (const b of opts.bundles) {
    const copyright = [
      `${opts.year} ${opts.holder}`,
      ...b.packages.flatMap((p) => copyrightLines(p).map((c) => `${c} (${p.name})`)),
    ];
    parts.push(`Files: ${b.files.join(' ')}
Copyright:${fieldLines(copyright.join('\n'))}
License: ${idsOf(b.packages).join(' and ')}
Comment: vrrpd's code ${b.how} these npm packages (name, version, licence):
${fieldLines(b.packages.map((p) => `${p.name} ${p.version} (${p.license})`).join('\n'))}`);
  }
  for (const id of ids) {
    if (COMMON_LICENSES.has(id)) {
      parts.push(
        `License: ${id}\n On Debian systems the full text of this licence is in\n /usr/share/common-licenses/${id}.`,
      );
      continue;
    }
    const from = all.find((p) => p.license === id);
    if (!from) throw new Error(`no bundled package carries the ${id} text`);
    parts.push(`License: ${id}\n${fieldLines(licenseText(from))}`);
  }
  return `${parts.join('\n\n')}\n`;
}
