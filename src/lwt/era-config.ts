import { join } from 'node:path';

/**
 * What Lwt's configure step finds on Linux x86-64 with glibc, by feature
 * macro. The names are the union of every era's tests (2.0's myocamlbuild.ml,
 * the top-level discover.ml of 2.2 to 3.0, src/unix/config/discover.ml from
 * 3.1 on); the answers are those of Debian's lwt 5.6.1 build
 * (/usr/lib/ocaml/lwt/unix/lwt_features.h and lwt_features.ml), plus
 * HAVE_SIGNALFD (2.0, Linux ≥ 2.6.22) and the aggregate HAVE_GET_CREDENTIALS
 * that 2.3 to 2.4.0 tested directly. A name not listed here was not found.
 */
const LINUX_FEATURES: Record<string, boolean> = {
  HAVE_SIGNALFD: true,
  HAVE_EVENTFD: true,
  HAVE_FD_PASSING: true,
  HAVE_GETCPU: true,
  HAVE_AFFINITY: true,
  HAVE_GET_CREDENTIALS: true,
  HAVE_GET_CREDENTIALS_LINUX: true,
  HAVE_GET_CREDENTIALS_NETBSD: false,
  HAVE_GET_CREDENTIALS_OPENBSD: false,
  HAVE_GET_CREDENTIALS_FREEBSD: false,
  HAVE_GETPEEREID: false,
  HAVE_FDATASYNC: true,
  HAVE_PTHREAD: true,
  HAVE_NETDB_REENTRANT: false,
  HAVE_REENTRANT_HOSTENT: true,
  HAVE_ST_MTIM_TV_NSEC: true,
  HAVE_ST_MTIMESPEC_TV_NSEC: false,
  HAVE_ST_MTIMENSEC: false,
  HAVE_BSD_MINCORE: false,
  HAVE_ACCEPT4: true,
};

/** What the tree's sources show about the configuration they expect. */
export interface ConfigNeeds {
  /** lwt.unix's directory, relative to the tree's root: `src` (2.0) or `src/unix`. */
  unixDir: string;
  /** The header the C stubs include: `config.h` (2.0, 2.2), `lwt_config.h` (2.3 to 4.x), or none (2.1). */
  header: 'config.h' | 'lwt_config.h' | undefined;
  /** The tree ships lwt_config.h/.ml and expects discover's lwt_features.h/.ml (5.0 on). */
  featuresFiles: boolean;
  /** OCaml sources read the configuration with pa_optcomp (`#include "src/unix/lwt_config.ml"`, 2.3.0 to 2.4.6). */
  optcomp: boolean;
  /** OCaml sources refer to a Lwt_config module (2.4.7 to 4.x; from 5.0 it is in the tree). */
  configModule: boolean;
  /** Every feature macro the sources mention (`HAVE_X`, `_HAVE_X`). */
  macros: string[];
  /** The C sources use NANOSEC(buf, field), which discover defined in lwt_config.h (2.5 to 4.x). */
  nanosec: boolean;
  /**
   * libev is installed and the tree has libev stubs: HAVE_LIBEV is what its
   * test would have found, and -lev is linked (2.2 to 2.3.1 need it
   * unconditionally).
   */
  libev: boolean;
}

export interface GeneratedConfig {
  /** Files to write, relative to the tree's root. */
  files: { path: string; text: string }[];
  /** C libraries lwt.unix links with (discover's unix_c_library_flags, oasis' CCLib). */
  libraries: string[];
}

const feature = (name: string, libev: boolean) => (name === 'HAVE_LIBEV' ? libev : (LINUX_FEATURES[name] ?? false));

/**
 * The files the era's configure step would have written on Linux x86-64:
 * 2.0's src/config.h; 2.2's src/unix/config.h; lwt_config.h with an optcomp
 * lwt_config.ml (`#let HAVE_X = true`, 2.3.0 to 2.4.6) or a module (`let
 * _HAVE_X = true`, 2.4.7 to 4.x); lwt_features.h and lwt_features.ml from
 * 5.0 on, which the tree's own lwt_config.h/.ml include. libev_default is
 * true, every era's default.
 */
export function eraConfig(needs: ConfigNeeds): GeneratedConfig {
  const macros = [...new Set(needs.macros.map((m) => m.replace(/^_/, '')))].sort();
  const defines = macros
    .filter((m) => feature(m, needs.libev))
    .map((m) => `#define ${m}\n`)
    .join('');
  const mlValues = (prefix: string) =>
    [
      ...macros.map((m) => `${prefix}${m} = ${feature(m, needs.libev)}\n`),
      `${prefix === '#let ' ? '#let ' : 'let '}android = false\n`,
      `${prefix === '#let ' ? '#let ' : 'let '}libev_default = true\n`,
    ].join('');
  const nanosec = needs.nanosec ? '#define NANOSEC(buf, field) buf->st_##field##tim.tv_nsec\n' : '';
  const at = (name: string) => join(needs.unixDir, name);
  const files: GeneratedConfig['files'] = [];
  if (needs.featuresFiles) {
    files.push({
      path: at('lwt_features.h'),
      text: `#ifndef LWT_FEATURES_H\n#define LWT_FEATURES_H\n${defines}#endif\n`,
    });
    files.push({ path: at('lwt_features.ml'), text: mlValues('let _') });
  } else {
    if (needs.header) files.push({ path: at(needs.header), text: `${defines}${nanosec}` });
    if (needs.optcomp) files.push({ path: at('lwt_config.ml'), text: mlValues('#let ') });
    else if (needs.configModule) files.push({ path: at('lwt_config.ml'), text: mlValues('let _') });
  }
  return { files, libraries: [...(needs.libev ? ['-lev'] : []), '-lpthread'] };
}
