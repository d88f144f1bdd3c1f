import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDbPath, userDataDir } from './paths';

// The expected folders are Electron's app.getPath('userData') for productName "Guestprep":
// appData (per platform) + the app name.

test('Linux: ~/.config/Guestprep, or under $XDG_CONFIG_HOME when set', () => {
  assert.equal(userDataDir({ platform: 'linux', env: {}, home: '/home/ada' }), '/home/ada/.config/Guestprep');
  assert.equal(userDataDir({ platform: 'linux', env: { XDG_CONFIG_HOME: '/srv/cfg' }, home: '/home/ada' }), '/srv/cfg/Guestprep');
  // An empty variable counts as unset, as in Chromium's XDG lookup.
  assert.equal(userDataDir({ platform: 'linux', env: { XDG_CONFIG_HOME: '' }, home: '/home/ada' }), '/home/ada/.config/Guestprep');
});

test('macOS: ~/Library/Application Support/Guestprep, whatever XDG says', () => {
  assert.equal(
    userDataDir({ platform: 'darwin', env: { XDG_CONFIG_HOME: '/x' }, home: '/Users/ada' }),
    '/Users/ada/Library/Application Support/Guestprep',
  );
});

test('Windows: %APPDATA%\\Guestprep, else the roaming folder under the profile', () => {
  assert.equal(
    userDataDir({ platform: 'win32', env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, home: 'C:\\Users\\ada' }),
    'C:\\Users\\ada\\AppData\\Roaming\\Guestprep',
  );
  assert.equal(
    userDataDir({ platform: 'win32', env: { USERPROFILE: 'D:\\Profiles\\ada' }, home: 'C:\\Users\\ada' }),
    'D:\\Profiles\\ada\\AppData\\Roaming\\Guestprep',
  );
  assert.equal(
    defaultDbPath({ platform: 'win32', env: { APPDATA: 'C:\\R' }, home: 'C:\\Users\\ada' }),
    'C:\\R\\Guestprep\\guestprep.sqlite',
  );
});

test('$GUESTPREP_DATA_DIR overrides every platform default', () => {
  for (const platform of ['linux', 'darwin'] as const) {
    assert.equal(userDataDir({ platform, env: { GUESTPREP_DATA_DIR: '/data/gp', XDG_CONFIG_HOME: '/x' }, home: '/home/ada' }), '/data/gp');
  }
  assert.equal(userDataDir({ platform: 'win32', env: { GUESTPREP_DATA_DIR: 'E:\\gp', APPDATA: 'C:\\R' }, home: 'C:\\' }), 'E:\\gp');
});

test('the database sits in the user-data folder', () => {
  assert.equal(defaultDbPath({ platform: 'linux', env: {}, home: '/home/ada' }), '/home/ada/.config/Guestprep/guestprep.sqlite');
});

test('with no arguments it reads the real environment', () => {
  const saved = process.env.GUESTPREP_DATA_DIR;
  process.env.GUESTPREP_DATA_DIR = '/tmp/guestprep-paths-test';
  try {
    if (process.platform !== 'win32') assert.equal(defaultDbPath(), '/tmp/guestprep-paths-test/guestprep.sqlite');
  } finally {
    if (saved === undefined) delete process.env.GUESTPREP_DATA_DIR;
    else process.env.GUESTPREP_DATA_DIR = saved;
  }
});
