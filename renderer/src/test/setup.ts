// Vitest setup: unmount rendered trees between tests (Testing Library does not auto-clean without globals).
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => cleanup());
