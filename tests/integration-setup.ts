import { jest } from '@jest/globals';

// Hooks of integration tests start and stop real processes; on a busy 2-core machine that takes longer than
// jest's 5 s hook default (the project-level testTimeout does not reach hooks in every jest version).
jest.setTimeout(60_000);
