// Seeded random round trips with redirect_dir, metacopy and index over committed lower chains (part 2 of 2); see ./README.md.
import { defineFeatureFuzzSuite } from './suite.js';

defineFeatureFuzzSuite(1, 2);
