#!/usr/bin/env python3
"""A FUSE file system that forgets, at a "power cut", everything that was not made durable.

It holds its files in memory twice over: what processes see now, and what would survive a power
cut. A file's bytes become durable only when that file is fsynced (fsync or fdatasync); a folder's
entries (creates, links, unlinks, renames, mkdir) only when that folder is fsynced. This is the
POSIX minimum: real file systems often keep more, never less, so a program that stays correct here
stays correct there.

The cut comes after a given number of changing operations (writes, truncates, fsyncs, namespace
changes): that operation and every one after it fails with EIO, as if the machine had stopped. On
unmount the durable state is written out to a real folder, for the test to open as the machine would
after the restart.

    powerfs.py --seed DIR --out DIR [--cut-after N] [--count-file FILE] MOUNTPOINT

--seed: the initial tree (all of it durable). --out: where the durable tree is written on unmount
(must not exist). --cut-after N: the N-th changing operation is the first to fail (0: never cut).
--count-file: the number of changing operations done is written there on unmount, so a test can
first measure a run and then cut inside it.
"""

import argparse
import errno
import os
import stat
import sys
import threading
import time

from fuse import FUSE, FuseOSError, Operations


class Node:
    """An inode: a file (data), a folder (entries) or a symlink (target)."""

    counter = 1

    def __init__(self, kind, mode):
        Node.counter += 1
        self.ino = Node.counter
        self.kind = kind
        self.mode = mode
        self.data = bytearray()
        self.durable_data = b""
        self.entries = {}
        self.durable_entries = {}
        self.target = ""
        now = time.time()
        self.atime = self.mtime = self.ctime = now


def load_seed(path):
    """The tree at `path` as nodes, all of it durable."""
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        node = Node("d", 0o755)
        for name in sorted(os.listdir(path)):
            node.entries[name] = load_seed(os.path.join(path, name))
        node.durable_entries = dict(node.entries)
    elif stat.S_ISLNK(st.st_mode):
        node = Node("l", 0o777)
        node.target = os.readlink(path)
    else:
        node = Node("f", 0o644)
        with open(path, "rb") as f:
            node.data = bytearray(f.read())
        node.durable_data = bytes(node.data)
    return node


def dump_durable(node, path):
    """Writes what would survive a power cut under `node` to the real folder `path`."""
    if node.kind == "d":
        os.mkdir(path)
        for name, child in node.durable_entries.items():
            dump_durable(child, os.path.join(path, name))
    elif node.kind == "l":
        os.symlink(node.target, path)
    else:
        with open(path, "wb") as f:
            f.write(node.durable_data)


class PowerFs(Operations):
    def __init__(self, root, cut_after):
        self.root = root
        self.cut_after = cut_after
        self.changes = 0
        self.dead = False
        self.handles = {}
        self.next_handle = 1
        self.mutex = threading.RLock()

    # -- the power ---------------------------------------------------------------------------

    def alive(self):
        if self.dead:
            raise FuseOSError(errno.EIO)

    def change(self):
        """Counts one changing operation; at the cut, the power goes (this one fails)."""
        self.alive()
        self.changes += 1
        if self.cut_after and self.changes >= self.cut_after:
            self.dead = True
            raise FuseOSError(errno.EIO)

    # -- lookups -----------------------------------------------------------------------------

    def lookup(self, path):
        node = self.root
        for part in [p for p in path.split("/") if p]:
            if node.kind != "d" or part not in node.entries:
                raise FuseOSError(errno.ENOENT)
            node = node.entries[part]
        return node

    def parent_of(self, path):
        head, name = os.path.split(path.rstrip("/"))
        parent = self.lookup(head or "/")
        if parent.kind != "d":
            raise FuseOSError(errno.ENOTDIR)
        return parent, name

    def node_for(self, path, fh):
        if fh and fh in self.handles:
            return self.handles[fh]
        return self.lookup(path)

    # -- reading -----------------------------------------------------------------------------

    def getattr(self, path, fh=None):
        with self.mutex:
            self.alive()
            node = self.node_for(path, fh)
            kind = {"d": stat.S_IFDIR, "f": stat.S_IFREG, "l": stat.S_IFLNK}[node.kind]
            size = len(node.data) if node.kind == "f" else (len(node.target) if node.kind == "l" else 4096)
            return {
                "st_mode": kind | node.mode,
                "st_ino": node.ino,
                "st_nlink": self.count_links(node),
                "st_size": size,
                "st_uid": os.getuid(),
                "st_gid": os.getgid(),
                "st_atime": node.atime,
                "st_mtime": node.mtime,
                "st_ctime": node.ctime,
                "st_blocks": (size + 511) // 512,
            }

    def count_links(self, node):
        if node.kind == "d":
            return 2 + sum(1 for c in node.entries.values() if c.kind == "d")
        return getattr(node, "links", 1)

    def readdir(self, path, fh):
        with self.mutex:
            self.alive()
            node = self.lookup(path)
            return [".", ".."] + list(node.entries)

    def readlink(self, path):
        with self.mutex:
            self.alive()
            return self.lookup(path).target

    def access(self, path, amode):
        with self.mutex:
            self.alive()
            self.lookup(path)
            return 0

    def statfs(self, path):
        return {
            "f_bsize": 4096,
            "f_frsize": 4096,
            "f_blocks": 1 << 20,
            "f_bfree": 1 << 19,
            "f_bavail": 1 << 19,
            "f_files": 1 << 16,
            "f_ffree": 1 << 15,
            "f_namemax": 255,
        }

    def open(self, path, flags):
        with self.mutex:
            self.alive()
            node = self.lookup(path)
            if flags & os.O_TRUNC:
                self.change()
                node.data = bytearray()
            return self.handle(node)

    def handle(self, node):
        fh = self.next_handle
        self.next_handle += 1
        self.handles[fh] = node
        return fh

    def read(self, path, size, offset, fh):
        with self.mutex:
            self.alive()
            node = self.node_for(path, fh)
            return bytes(node.data[offset : offset + size])

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        with self.mutex:
            self.handles.pop(fh, None)
            return 0

    def opendir(self, path):
        with self.mutex:
            self.alive()
            return self.handle(self.lookup(path))

    def releasedir(self, path, fh):
        return self.release(path, fh)

    # -- changing ----------------------------------------------------------------------------

    def create(self, path, mode, fi=None):
        with self.mutex:
            self.change()
            parent, name = self.parent_of(path)
            if name in parent.entries:
                node = parent.entries[name]
            else:
                node = Node("f", mode & 0o7777)
                parent.entries[name] = node
                parent.mtime = time.time()
            return self.handle(node)

    def write(self, path, data, offset, fh):
        with self.mutex:
            self.change()
            node = self.node_for(path, fh)
            end = offset + len(data)
            if len(node.data) < offset:
                node.data.extend(b"\0" * (offset - len(node.data)))
            node.data[offset:end] = data
            node.mtime = time.time()
            return len(data)

    def truncate(self, path, length, fh=None):
        with self.mutex:
            self.change()
            node = self.node_for(path, fh)
            if length < len(node.data):
                del node.data[length:]
            else:
                node.data.extend(b"\0" * (length - len(node.data)))
            node.mtime = time.time()
            return 0

    def fsync(self, path, datasync, fh):
        with self.mutex:
            self.change()
            node = self.node_for(path, fh)
            if node.kind == "f":
                node.durable_data = bytes(node.data)
            elif node.kind == "d":
                node.durable_entries = dict(node.entries)
            return 0

    def fsyncdir(self, path, datasync, fh):
        with self.mutex:
            self.change()
            node = self.node_for(path, fh)
            node.durable_entries = dict(node.entries)
            return 0

    def mkdir(self, path, mode):
        with self.mutex:
            self.change()
            parent, name = self.parent_of(path)
            if name in parent.entries:
                raise FuseOSError(errno.EEXIST)
            parent.entries[name] = Node("d", mode & 0o7777)
            return 0

    def rmdir(self, path):
        with self.mutex:
            self.change()
            parent, name = self.parent_of(path)
            node = parent.entries.get(name)
            if node is None:
                raise FuseOSError(errno.ENOENT)
            if node.entries:
                raise FuseOSError(errno.ENOTEMPTY)
            del parent.entries[name]
            return 0

    def unlink(self, path):
        with self.mutex:
            self.change()
            parent, name = self.parent_of(path)
            node = parent.entries.pop(name, None)
            if node is None:
                raise FuseOSError(errno.ENOENT)
            node.links = getattr(node, "links", 1) - 1
            return 0

    def link(self, target, source):
        """A hard link: the new name `target` for the existing `source`."""
        with self.mutex:
            self.change()
            node = self.lookup(source)
            parent, name = self.parent_of(target)
            if name in parent.entries:
                raise FuseOSError(errno.EEXIST)
            parent.entries[name] = node
            node.links = getattr(node, "links", 1) + 1
            return 0

    def symlink(self, target, source):
        with self.mutex:
            self.change()
            parent, name = self.parent_of(target)
            if name in parent.entries:
                raise FuseOSError(errno.EEXIST)
            node = Node("l", 0o777)
            node.target = source
            parent.entries[name] = node
            return 0

    def rename(self, old, new):
        with self.mutex:
            self.change()
            old_parent, old_name = self.parent_of(old)
            new_parent, new_name = self.parent_of(new)
            node = old_parent.entries.get(old_name)
            if node is None:
                raise FuseOSError(errno.ENOENT)
            replaced = new_parent.entries.get(new_name)
            if replaced is not None and replaced.kind == "d" and replaced.entries:
                raise FuseOSError(errno.ENOTEMPTY)
            del old_parent.entries[old_name]
            new_parent.entries[new_name] = node
            return 0

    def chmod(self, path, mode):
        with self.mutex:
            self.change()
            self.lookup(path).mode = mode & 0o7777
            return 0

    def chown(self, path, uid, gid):
        with self.mutex:
            self.alive()
            return 0

    def utimens(self, path, times=None):
        with self.mutex:
            self.alive()
            node = self.lookup(path)
            now = time.time()
            node.atime, node.mtime = times if times else (now, now)
            return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--cut-after", type=int, default=0)
    parser.add_argument("--count-file")
    parser.add_argument("mountpoint")
    args = parser.parse_args()
    fs = PowerFs(load_seed(args.seed), args.cut_after)
    try:
        FUSE(
            fs,
            args.mountpoint,
            foreground=True,
            nothreads=True,
            use_ino=True,
            hard_remove=True,
            fsname="powerfs",
            subtype="powerfs",
        )
    finally:
        dump_durable(fs.root, args.out)
        if args.count_file:
            with open(args.count_file, "w") as f:
                f.write(str(fs.changes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
