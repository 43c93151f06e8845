package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/node/users"
)

// Error codes of the admin API (see the package doc).
const (
	codeUserExists   = "user_exists"
	codeInvalidName  = "invalid_name"
	codeUnknownUser  = "unknown_user"
	codeUserRemoved  = "user_removed"
	codeNameConflict = "name_conflict"
	codeUnavailable  = "unavailable"
	codeBadRequest   = "bad_request"
	codeInternal     = "internal"
)

// userErrors maps the user database's sentinels to the API's status and
// code; the client maps the codes back (decodeResponse).
var userErrors = []struct {
	err    error
	status int
	code   string
}{
	{users.ErrUserExists, http.StatusConflict, codeUserExists},
	{record.ErrInvalidUserName, http.StatusBadRequest, codeInvalidName},
	{users.ErrUnknownUser, http.StatusNotFound, codeUnknownUser},
	{users.ErrUserRemoved, http.StatusConflict, codeUserRemoved},
	{users.ErrNameConflict, http.StatusConflict, codeNameConflict},
	{users.ErrNotSynced, http.StatusServiceUnavailable, codeUnavailable},
}

// maxBody bounds an admin request body.
const maxBody = 4 << 10

// errorBody is the body of an admin API error response.
type errorBody struct {
	Message string `json:"error"`
	Code    string `json:"code"`
}

// addUserRequest is the body of POST /users, /users/remove and
// /users/rotate.
type addUserRequest struct {
	Name string `json:"name"`
}

// tokenResponse is the body of GET /token.
type tokenResponse struct {
	Token string `json:"token"`
}

// Backend is what the admin API serves: a node's users, join token and
// Status.
type Backend struct {
	// Users adds and lists the users. Required.
	Users Users
	// Token returns the node's join token; when nil, GET /token answers
	// 404.
	Token func() (string, error)
	// Status returns the node's Status; when nil, GET /status answers 404.
	Status func(context.Context) (Status, error)
}

// Users is the user database the admin API manages; *users.DB is one.
type Users interface {
	// Add creates a user called name and returns its credentials. The
	// error wraps users.ErrUserExists when the name is taken and
	// record.ErrInvalidUserName when it is not valid.
	Add(ctx context.Context, name string) (*users.Credentials, error)
	// List returns every user, oldest first.
	List(ctx context.Context) ([]users.Info, error)
	// Remove removes the user called name. The error wraps
	// users.ErrUnknownUser, users.ErrUserRemoved,
	// record.ErrInvalidUserName or users.ErrNotSynced.
	Remove(ctx context.Context, name string) (users.Info, error)
	// Rotate gives the user called name a new secret. Errors are
	// Remove's, and users.ErrNameConflict.
	Rotate(ctx context.Context, name string) (*users.Credentials, error)
}

var _ Users = (*users.DB)(nil)

// Serve serves the admin API on ln until ctx is done, then closes ln and
// returns once no admin request is running any more, so the caller may
// close the database after it.
func Serve(ctx context.Context, ln net.Listener, b Backend, log *slog.Logger) {
	log = log.With("component", "admin")
	a := &server{users: b.Users, token: b.Token, status: b.Status, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users", a.addUser)
	mux.HandleFunc("GET /users", a.listUsers)
	mux.HandleFunc("POST /users/remove", a.removeUser)
	mux.HandleFunc("POST /users/rotate", a.rotateUser)
	mux.HandleFunc("GET /token", a.getToken)
	mux.HandleFunc("GET /status", a.getStatus)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-served:
		// The listener failed or was closed under us.
		served <- err
		if ctx.Err() == nil {
			log.Error("admin API stopped", "err", err)
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	<-served
}

// server handles admin requests.
type server struct {
	users  Users
	token  func() (string, error)
	status func(context.Context) (Status, error)
	log    *slog.Logger
}

func (a *server) getStatus(w http.ResponseWriter, r *http.Request) {
	if a.status == nil {
		writeError(w, http.StatusNotFound, codeBadRequest, "this node reports no status")
		return
	}
	st, err := a.status(r.Context())
	if err != nil {
		a.internalError(w, "status", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (a *server) getToken(w http.ResponseWriter, r *http.Request) {
	if a.token == nil {
		writeError(w, http.StatusNotFound, codeBadRequest, "this node has no join token")
		return
	}
	tok, err := a.token()
	if err != nil {
		a.internalError(w, "join token", err)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{Token: tok})
}

func (a *server) addUser(w http.ResponseWriter, r *http.Request) {
	a.userOp(w, r, "add user", http.StatusCreated, func(ctx context.Context, name string) (any, error) {
		return a.users.Add(ctx, name)
	})
}

func (a *server) removeUser(w http.ResponseWriter, r *http.Request) {
	a.userOp(w, r, "remove user", http.StatusOK, func(ctx context.Context, name string) (any, error) {
		return a.users.Remove(ctx, name)
	})
}

func (a *server) rotateUser(w http.ResponseWriter, r *http.Request) {
	a.userOp(w, r, "rotate user", http.StatusOK, func(ctx context.Context, name string) (any, error) {
		return a.users.Rotate(ctx, name)
	})
}

// userOp decodes a {"name": N} body, runs op and answers its result with
// status, or its error per userErrors.
func (a *server) userOp(w http.ResponseWriter, r *http.Request, what string, status int, op func(context.Context, string) (any, error)) {
	var req addUserRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "bad request body: "+err.Error())
		return
	}
	out, err := op(r.Context(), req.Name)
	if err == nil {
		writeJSON(w, status, out)
		return
	}
	for _, e := range userErrors {
		if errors.Is(err, e.err) {
			writeError(w, e.status, e.code, err.Error())
			return
		}
	}
	a.internalError(w, what, err)
}

func (a *server) listUsers(w http.ResponseWriter, r *http.Request) {
	list, err := a.users.List(r.Context())
	if err != nil {
		a.internalError(w, "list users", err)
		return
	}
	if list == nil {
		list = []users.Info{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *server) internalError(w http.ResponseWriter, op string, err error) {
	a.log.Error("admin request failed", "op", op, "err", err)
	writeError(w, http.StatusInternalServerError, codeInternal, op+": "+err.Error())
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Message: msg, Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client sees a broken body if this fails
}
