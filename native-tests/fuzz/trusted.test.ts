// Seeded random round trips on root (trusted.overlay.*) mounts; see ./README.md.
import { defineFuzzSuite } from './suite.js';

defineFuzzSuite('trusted');
