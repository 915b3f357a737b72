"""Runs a command where seccomp(2) fails with EPERM, as some container profiles make it: the way
the tests simulate a kernel that refuses the supervisor. Uses libseccomp through ctypes."""
import ctypes
import errno
import os
import sys

lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_init.argtypes = [ctypes.c_uint32]
lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_ERRNO = lambda e: 0x00050000 | (e & 0xFFFF)
ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
nr = lib.seccomp_syscall_resolve_name(b"seccomp")
if not ctx or lib.seccomp_rule_add(ctx, SCMP_ACT_ERRNO(errno.EPERM), nr, 0) != 0 or lib.seccomp_load(ctx) != 0:
    sys.exit("deny_seccomp: could not install the filter")
os.execvp(sys.argv[1], sys.argv[1:])
