import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryFacts, factsFromNames, javaMajor, normaliseArch, normaliseOs, parseReleaseFile } from './java-facts';
import { elfStub, peStub } from '../../sample/archives';

test('release files: quoted, unquoted, CRLF, comments', () => {
  const r = parseReleaseFile('IMPLEMENTOR="Eclipse Adoptium"\r\nJAVA_VERSION="17.0.9"\nOS_NAME=Linux\n# c\nOS_ARCH="x86_64"\nBAD LINE\n');
  assert.deepEqual(r, { IMPLEMENTOR: 'Eclipse Adoptium', JAVA_VERSION: '17.0.9', OS_NAME: 'Linux', OS_ARCH: 'x86_64' });
});

test('arch and OS names are normalised', () => {
  const arch: Array<[string, string]> = [
    ['amd64', 'x86_64'], ['x86_64', 'x86_64'], ['x64', 'x86_64'], ['i386', 'i386'], ['i586', 'i386'], ['i686', 'i386'],
    ['x86', 'i386'], ['aarch64', 'aarch64'], ['arm64', 'aarch64'], ['arm', 'arm'], ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'], ['sparcv9', 'unknown'], ['', 'unknown'],
  ];
  for (const [raw, want] of arch) assert.equal(normaliseArch(raw), want, raw);
  assert.equal(normaliseArch(undefined), 'unknown');
  const os: Array<[string, string]> = [
    ['Linux', 'linux'], ['linux', 'linux'], ['Windows', 'windows'], ['Windows 10', 'windows'], ['Darwin', 'macos'],
    ['Mac OS X', 'macos'], ['SunOS', 'unknown'],
  ];
  for (const [raw, want] of os) assert.equal(normaliseOs(raw), want, raw);
});

test('feature release of a version', () => {
  assert.equal(javaMajor('1.8.0_392'), 8);
  assert.equal(javaMajor('1.7.0_80'), 7);
  assert.equal(javaMajor('17.0.9'), 17);
  assert.equal(javaMajor('21'), 21);
  assert.equal(javaMajor('11.0.21+9'), 11);
  assert.equal(javaMajor('unknown'), 0);
});

test('executable headers tell OS and CPU', () => {
  assert.deepEqual(binaryFacts(elfStub('x86_64')), { os: 'linux', arch: 'x86_64', format: 'ELF' });
  assert.deepEqual(binaryFacts(elfStub('i386')), { os: 'linux', arch: 'i386', format: 'ELF' });
  assert.deepEqual(binaryFacts(elfStub('aarch64')), { os: 'linux', arch: 'aarch64', format: 'ELF' });
  assert.deepEqual(binaryFacts(peStub('x86_64')), { os: 'windows', arch: 'x86_64', format: 'PE' });
  assert.deepEqual(binaryFacts(peStub('i386')), { os: 'windows', arch: 'i386', format: 'PE' });
  const macho = Buffer.alloc(32);
  macho.writeUInt32LE(0xfeedfacf, 0);
  macho.writeUInt32LE(0x0100000c, 4);
  assert.deepEqual(binaryFacts(macho), { os: 'macos', arch: 'aarch64', format: 'Mach-O' });
  assert.deepEqual(binaryFacts(Buffer.from('#!/bin/sh\nexec x\n')), { os: 'linux', arch: 'unknown', format: 'script' });
  assert.equal(binaryFacts(Buffer.from('hello')), undefined);
  // ppc64 little endian
  const ppc = elfStub('x86_64');
  ppc.writeUInt16LE(0x15, 18);
  assert.equal(binaryFacts(ppc)?.arch, 'ppc64le');
});

test('vendor names give version, OS and CPU', () => {
  const cases: Array<[string[], { version?: string; os?: string; arch?: string }]> = [
    [['jdk-17.0.9+9-jre'], { version: '17.0.9' }],
    [['jre1.8.0_392'], { version: '1.8.0_392' }],
    [['jdk8u392-b08-jre'], { version: '1.8.0_392' }],
    [['OpenJDK17U-jre_x64_linux_hotspot_17.0.9_9.tar.gz'], { version: '17.0.9', os: 'linux', arch: 'x86_64' }],
    [['OpenJDK8U-jre_x64_linux_hotspot_8u392b08.tar.gz'], { version: '1.8.0_392', os: 'linux', arch: 'x86_64' }],
    [['OpenJDK17U-jre_x86-32_windows_hotspot_17.0.9_9.zip'], { version: '17.0.9', os: 'windows', arch: 'i386' }],
    [['OpenJDK17U-jre_aarch64_linux.tar.gz'], { version: '17', os: 'linux', arch: 'aarch64' }],
    [['zulu17.46.19-ca-jre17.0.9-linux_x64'], { version: '17.0.9', os: 'linux', arch: 'x86_64' }],
    [['amazon-corretto-17.0.9.8.1-linux-x64'], { version: '17.0.9', os: 'linux', arch: 'x86_64' }],
    [['jdk-17.0.9+9-jre', 'OpenJDK17U-jre_x64_mac.tar.gz'], { version: '17.0.9', os: 'macos', arch: 'x86_64' }],
    [['something'], {}],
  ];
  for (const [names, want] of cases) assert.deepEqual(factsFromNames(names), want, names.join(' '));
});
