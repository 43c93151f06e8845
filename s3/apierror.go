package s3

import (
	"errors"
	"fmt"
)

// codeError is a Code with a message more specific than the code's default,
// such as S3's explanation of an illegal self-copy.
type codeError struct {
	code Code
	msg  string
}

func (e *codeError) Error() string { return e.msg }
func (e *codeError) Unwrap() error { return e.code }

// errorf returns an error that renders as code with a formatted message.
// AsCode and errors.Is see the code.
func errorf(code Code, format string, args ...any) error {
	return &codeError{code: code, msg: fmt.Sprintf(format, args...)}
}

// WithMessage returns an error that renders as code with msg instead of
// the code's default message (for a lower layer that knows why, such as
// the user database refusing a removed user's key). errors.Is and AsCode
// see code.
func WithMessage(code Code, msg string) error {
	return &codeError{code: code, msg: msg}
}

// errorMessage is the message to render for err, whose code is c.
func errorMessage(err error, c Code) string {
	var ce *codeError
	if errors.As(err, &ce) && ce.code == c {
		return ce.msg
	}
	return c.Error()
}
