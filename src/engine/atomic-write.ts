/** Atomic file writes: every output of the app, the CLI and batch goes through here. */
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from './image.js';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Writes `data` to `file` atomically: a temporary file in the same folder, flushed, then moved
 * into place. Without `overwrite`, an existing file is never replaced (checked again at the
 * final step). The temporary file is removed on any failure.
 */
export async function writeFileAtomic(file: string, data: Uint8Array, overwrite = false): Promise<void> {
  const name = path.basename(file);
  const dir = path.dirname(path.resolve(file));
  const exists = new UserError(`${name} already exists; choose another name or allow overwriting.`, 'exists');
  if (!overwrite) {
    try {
      await stat(file);
      throw exists;
    } catch (error) {
      if (error === exists) throw error;
    }
  }
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (overwrite) {
      await rename(temp, file);
    } else {
      try {
        await link(temp, file); // fails with EEXIST instead of replacing: no race with other writers
        await unlink(temp);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'EEXIST') throw exists;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw error;
        // File systems without hard links (FAT, some network shares): check, then rename.
        try {
          await stat(file);
          throw exists;
        } catch (statError) {
          if (statError === exists) throw statError;
        }
        await rename(temp, file);
      }
    }
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof UserError) throw error;
    const code = errorCode(error);
    if (code === 'ENOENT') throw new UserError(`The folder ${dir} does not exist.`, 'not-found');
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UserError(`Cannot write into ${dir} (permission denied).`, 'permission');
    }
    if (code === 'ENOSPC') throw new UserError(`There is not enough disk space to write ${name}.`, 'no-space');
    throw error;
  }
}
