// Seeded random round trips on rootless `unshare -Urm` userxattr (user.overlay.*) mounts; see ./README.md.
import { defineFuzzSuite } from './suite.js';

defineFuzzSuite('user');
