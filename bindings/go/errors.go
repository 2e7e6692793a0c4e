package ironwal

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -lironwal
// #include "ironwal.h"
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
)

// Status is an ironwal_status code of the C API. Its values are fixed forever.
type Status int32

// The status codes of include/ironwal.h.
const (
	StatusOK                 Status = C.IRONWAL_OK
	StatusNotFound           Status = C.IRONWAL_NOT_FOUND
	StatusEnd                Status = C.IRONWAL_END
	StatusInvalidArgument    Status = C.IRONWAL_ERR_INVALID_ARGUMENT
	StatusIO                 Status = C.IRONWAL_ERR_IO
	StatusCorruption         Status = C.IRONWAL_ERR_CORRUPTION
	StatusCRCMismatch        Status = C.IRONWAL_ERR_CRC_MISMATCH
	StatusSegmentNotFound    Status = C.IRONWAL_ERR_SEGMENT_NOT_FOUND
	StatusStreamNotFound     Status = C.IRONWAL_ERR_STREAM_NOT_FOUND
	StatusLocked             Status = C.IRONWAL_ERR_LOCKED
	StatusPoisoned           Status = C.IRONWAL_ERR_POISONED
	StatusCheckpointNotFound Status = C.IRONWAL_ERR_CHECKPOINT_NOT_FOUND
	StatusNoCheckpoints      Status = C.IRONWAL_ERR_NO_CHECKPOINTS
	StatusShardCountMismatch Status = C.IRONWAL_ERR_SHARD_COUNT_MISMATCH
	StatusBufferTooSmall     Status = C.IRONWAL_ERR_BUFFER_TOO_SMALL
	StatusAlreadyUsed        Status = C.IRONWAL_ERR_ALREADY_USED
	StatusConfig             Status = C.IRONWAL_ERR_CONFIG
	StatusPanic              Status = C.IRONWAL_ERR_PANIC
)

// String is the C name of the status ("IRONWAL_ERR_LOCKED"), from ironwal_status_str.
func (s Status) String() string {
	return C.GoString(C.ironwal_status_str(C.int32_t(s)))
}

// Error is a failed call: the C status, the Go method that failed and the library's
// message about it (ironwal_last_error; empty for IRONWAL_NOT_FOUND, which is an
// outcome, not a failure, in C).
type Error struct {
	Code    Status
	Op      string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ironwal: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Code.String())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's status, so that
// errors.Is(err, ErrLocked) holds for every error with code StatusLocked.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Message == "" && t.Code == e.Code
}

// Sentinels, one per status: compare with errors.Is.
var (
	ErrNotFound           error = &Error{Code: StatusNotFound}
	ErrInvalidArgument    error = &Error{Code: StatusInvalidArgument}
	ErrIO                 error = &Error{Code: StatusIO}
	ErrCorruption         error = &Error{Code: StatusCorruption}
	ErrCRCMismatch        error = &Error{Code: StatusCRCMismatch}
	ErrSegmentNotFound    error = &Error{Code: StatusSegmentNotFound}
	ErrStreamNotFound     error = &Error{Code: StatusStreamNotFound}
	ErrLocked             error = &Error{Code: StatusLocked}
	ErrPoisoned           error = &Error{Code: StatusPoisoned}
	ErrCheckpointNotFound error = &Error{Code: StatusCheckpointNotFound}
	ErrNoCheckpoints      error = &Error{Code: StatusNoCheckpoints}
	ErrShardCountMismatch error = &Error{Code: StatusShardCountMismatch}
	ErrBufferTooSmall     error = &Error{Code: StatusBufferTooSmall}
	ErrAlreadyUsed        error = &Error{Code: StatusAlreadyUsed}
	ErrConfig             error = &Error{Code: StatusConfig}
	ErrPanic              error = &Error{Code: StatusPanic}
)

// ErrClosed is returned by every method of a handle after its Close.
var ErrClosed = errors.New("ironwal: use of a closed handle")

// Version is the version of the loaded C library ("MAJOR.MINOR.PATCH").
func Version() string {
	return C.GoString(C.ironwal_version())
}

// HeaderVersion is the version of include/ironwal.h this package was compiled with;
// it equals Version() when the library and the header match.
var HeaderVersion = fmt.Sprintf("%d.%d.%d", C.IRONWAL_VERSION_MAJOR, C.IRONWAL_VERSION_MINOR, C.IRONWAL_VERSION_PATCH)

// call runs one C call with the calling goroutine locked to its OS thread, so that
// ironwal_last_error (per thread) describes that call, and turns its status into an
// error. IRONWAL_OK and IRONWAL_END are not errors.
func call(op string, f func() C.ironwal_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return statusError(op, f())
}

// statusError must run on the thread of the call that returned st.
func statusError(op string, st C.ironwal_status) error {
	if st == C.IRONWAL_OK || st == C.IRONWAL_END {
		return nil
	}
	e := &Error{Code: Status(st), Op: op}
	if st < 0 {
		e.Message = C.GoString(C.ironwal_last_error())
	}
	return e
}

// invalidArgument is an argument rejected on the Go side, before any C call.
func invalidArgument(op, message string) error {
	return &Error{Code: StatusInvalidArgument, Op: op, Message: message}
}
