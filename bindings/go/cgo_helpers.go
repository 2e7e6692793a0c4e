package ironwal

// #include "ironwal.h"
import "C"

import (
	"strings"
	"unsafe"
)

// cString is s NUL-terminated in Go memory, which C may read during one call (it
// holds no Go pointers). A NUL inside s would cut it short in C, so it is rejected.
func cString(op, what, s string) ([]byte, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalidArgument(op, what+" contains a NUL byte")
	}
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b, nil
}

func charPtr(b []byte) *C.char {
	return (*C.char)(unsafe.Pointer(&b[0]))
}

// bytePtr is the address of b's bytes for one C call, or NULL when b is empty (the C
// API accepts NULL with a length of 0).
func bytePtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// goBytes copies n bytes the library owns at p into Go memory.
func goBytes(p *C.uint8_t, n C.size_t) []byte {
	out := make([]byte, int(n))
	if n > 0 {
		copy(out, unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
	}
	return out
}
