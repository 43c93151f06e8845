package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/d3s/d3s/node/users"
)

// AddUser asks the d3sd running with dataDir to create a user called name
// and returns its credentials. The error wraps ErrNoDaemon when no
// daemon runs, users.ErrUserExists when the name is taken, and
// record.ErrInvalidUserName when the name is not valid.
func AddUser(ctx context.Context, dataDir, name string) (*users.Credentials, error) {
	var creds users.Credentials
	if err := call(ctx, dataDir, http.MethodPost, "/users", addUserRequest{Name: name}, &creds); err != nil {
		return nil, err
	}
	return &creds, nil
}

// RemoveUser asks the d3sd running with dataDir to remove the user called
// name and returns it. The error wraps ErrNoDaemon, users.ErrUnknownUser,
// users.ErrUserRemoved, record.ErrInvalidUserName or users.ErrNotSynced.
func RemoveUser(ctx context.Context, dataDir, name string) (users.Info, error) {
	var info users.Info
	err := call(ctx, dataDir, http.MethodPost, "/users/remove", addUserRequest{Name: name}, &info)
	return info, err
}

// RotateUser asks the d3sd running with dataDir for a new secret of the
// user called name and returns its credentials. Errors are RemoveUser's,
// and users.ErrNameConflict.
func RotateUser(ctx context.Context, dataDir, name string) (*users.Credentials, error) {
	var creds users.Credentials
	if err := call(ctx, dataDir, http.MethodPost, "/users/rotate", addUserRequest{Name: name}, &creds); err != nil {
		return nil, err
	}
	return &creds, nil
}

// ListUsers asks the d3sd running with dataDir for its users, oldest
// first. The error wraps ErrNoDaemon when no daemon runs.
func ListUsers(ctx context.Context, dataDir string) ([]users.Info, error) {
	var list []users.Info
	if err := call(ctx, dataDir, http.MethodGet, "/users", nil, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// Token asks the d3sd running with dataDir for its current join token.
// The error wraps ErrNoDaemon when no daemon runs.
func Token(ctx context.Context, dataDir string) (string, error) {
	var resp tokenResponse
	if err := call(ctx, dataDir, http.MethodGet, "/token", nil, &resp); err != nil {
		return "", err
	}
	return resp.Token, nil
}

// GetStatus asks the d3sd running with dataDir for its Status. The error
// wraps ErrNoDaemon when no daemon runs.
func GetStatus(ctx context.Context, dataDir string) (Status, error) {
	var st Status
	err := call(ctx, dataDir, http.MethodGet, "/status", nil, &st)
	return st, err
}

// call sends one request to path and decodes the answer into out.
func call(ctx context.Context, dataDir, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://d3sd"+path, body)
	if err != nil {
		return err
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dial(ctx, dataDir)
	}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return unwrapURLError(err)
	}
	defer resp.Body.Close()
	return decodeResponse(resp, out)
}

// unwrapURLError drops net/http's "Post \"http://d3sd/users\": " wrapping,
// which names a URL the user never typed.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// decodeResponse decodes a success into out, or an error body into an
// error wrapping the sentinel of its code.
func decodeResponse(resp *http.Response, out any) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("admin API: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("admin API: bad response: %w", err)
		}
		return nil
	}
	var ae errorBody
	if json.Unmarshal(data, &ae) != nil || ae.Message == "" {
		return fmt.Errorf("admin API: %s", resp.Status)
	}
	for _, e := range userErrors {
		if e.code == ae.Code {
			return &remoteError{msg: ae.Message, kind: e.err}
		}
	}
	return errors.New(ae.Message)
}

// remoteError carries the daemon's message and the sentinel it maps to.
type remoteError struct {
	msg  string
	kind error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }
