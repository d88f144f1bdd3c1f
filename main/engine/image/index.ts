// Disk image files: what they are (from their own headers), whether Guestprep may prepare them,
// and the qemu-img operations that protect them during a run (overlay, then commit).

export { readImageHeader, readImageHeaderFrom } from './header';
export { precheckImage } from './precheck';
export { qemuImgInfo, createOverlay, commitOverlay, checkWritable, runQemuImg, qemuImgBinary } from './qemu-img';
export type { QemuImgInfo, QemuImgResult } from './qemu-img';
export type { ByteSource } from './byte-source';
export { bufferSource } from './byte-source';
