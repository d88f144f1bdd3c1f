import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyLaunchFailure, hypervisorEnv } from './hypervisor';

test('recognises the broken nested KVM signature seen on our hosts', () => {
  assert.equal(classifyLaunchFailure('qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0'), 'kvm-broken');
  assert.equal(
    classifyLaunchFailure('libguestfs: error: appliance closed the connection unexpectedly.\nqemu-system-x86_64 killed by signal 6 (Aborted).'),
    'kvm-broken',
  );
});

test('recognises the appliance cache broken by an apt run', () => {
  assert.equal(
    classifyLaunchFailure('guestfsd: error: failed to initialize device name translation cache: /dev/disk/by-path: No such file or directory'),
    'cache-broken',
  );
  assert.equal(classifyLaunchFailure('libguestfs: error: could not create appliance through libvirt'), 'other');
});

test('TCG is asked for through LIBGUESTFS_BACKEND_SETTINGS, keeping other settings', () => {
  const saved = process.env.LIBGUESTFS_BACKEND_SETTINGS;
  try {
    delete process.env.LIBGUESTFS_BACKEND_SETTINGS;
    assert.deepEqual(hypervisorEnv('kvm'), {});
    assert.deepEqual(hypervisorEnv('tcg'), { LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' });
    process.env.LIBGUESTFS_BACKEND_SETTINGS = 'network_bridge=br0';
    assert.deepEqual(hypervisorEnv('tcg'), { LIBGUESTFS_BACKEND_SETTINGS: 'network_bridge=br0:force_tcg' });
    process.env.LIBGUESTFS_BACKEND_SETTINGS = 'force_tcg';
    assert.deepEqual(hypervisorEnv('tcg'), {});
  } finally {
    if (saved === undefined) delete process.env.LIBGUESTFS_BACKEND_SETTINGS;
    else process.env.LIBGUESTFS_BACKEND_SETTINGS = saved;
  }
});
