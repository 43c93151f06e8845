package pageout

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// selfMappings lists the file-backed mappings of /proc/self/maps.
func selfMappings() ([]mapping, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, fmt.Errorf("read mappings: %w", err)
	}
	defer f.Close()
	var ms []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := parseMapping(sc.Text()); ok {
			ms = append(ms, m)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mappings: %w", err)
	}
	return ms, nil
}

// parseMapping parses one line of /proc/PID/maps ("start-end perms offset
// dev inode path"); ok is false for a line without a file path. The path
// is the rest of the line, so it may hold spaces.
func parseMapping(line string) (m mapping, ok bool) {
	rest := line
	var f [5]string
	for i := range f {
		rest = strings.TrimLeft(rest, " ")
		f[i], rest, _ = strings.Cut(rest, " ")
	}
	path := strings.TrimLeft(rest, " ")
	lo, hi, found := strings.Cut(f[0], "-")
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if !found || err1 != nil || err2 != nil || end <= start || !strings.HasPrefix(path, "/") {
		return mapping{}, false
	}
	return mapping{start: uintptr(start), end: uintptr(end), path: path}, true
}

// pageOut asks the kernel to reclaim the pages of [start, start+length).
// A range unmapped meanwhile is no error; EINVAL means the kernel does not
// know MADV_PAGEOUT (before 5.4). errPageOutUnsupported.
func pageOut(start, length uintptr) error {
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, length, unix.MADV_PAGEOUT)
	switch {
	case errno == 0 || errno == unix.ENOMEM:
		return nil
	case errno == unix.EINVAL:
		return fmt.Errorf("madvise(MADV_PAGEOUT): %w: %w", errPageOutUnsupported, errno)
	default:
		return fmt.Errorf("madvise(MADV_PAGEOUT) %#x+%d: %w", start, length, errno)
	}
}
