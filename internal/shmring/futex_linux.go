package shmring

import (
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futex operations (linux/futex.h); golang.org/x/sys does not name them.
const (
	futexWaitOp = 0
	futexWakeOp = 1
)

// futexWait sleeps while *addr == val, at most d. The futex is shared (not
// FUTEX_PRIVATE): the word lives in memory mapped by two processes.
func futexWait(addr *uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWake wakes the sleepers on addr.
func futexWake(addr *uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, 1, 0, 0, 0)
}

// Supported reports nil when this platform has the shared-memory transport.
func Supported() error { return nil }

// Create makes an anonymous shared-memory file (memfd) for passing to a
// child process; size it with Truncate.
func Create(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Map maps size bytes of f at offset off, shared; writable when write.
func Map(f *os.File, off int64, size int, write bool) ([]byte, error) {
	prot := unix.PROT_READ
	if write {
		prot |= unix.PROT_WRITE
	}
	b, err := unix.Mmap(int(f.Fd()), off, size, prot, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s [%d, +%d): %w", f.Name(), off, size, err)
	}
	return b, nil
}

// Unmap releases a mapping made by Map.
func Unmap(b []byte) error { return unix.Munmap(b) }

// yield gives the core to another runnable thread, if any.
func yield() { unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

// Inherited reports whether file descriptor fd is open in this process
// (the plugin checks for the host's regions). It must not wrap fd in an
// os.File: that file's finalizer would close the descriptor.
func Inherited(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil
}
