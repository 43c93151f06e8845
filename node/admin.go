package node

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/d3s/d3s/dht"
	"github.com/d3s/d3s/node/users"
)

// The admin API is JSON over HTTP on the unix socket adminSocketPath(dataDir).
// Only the data dir's owner can reach it (mode 0600), so it needs no
// authentication. badger lets one process open a data dir, which is why the
// CLI asks the running daemon instead of opening the database itself.
//
//	POST /users {"name": N}  201 users.Credentials
//	GET  /users              200 [users.Info, ...]
//	GET  /token              200 {"token": T}  the node's current join token
//	GET  /status             200 Status        what "d3sd status" shows
//
// Errors are {"error": message, "code": code} with code one of adminCode*.
const (
	adminCodeUserExists  = "user_exists"
	adminCodeInvalidName = "invalid_name"
	adminCodeBadRequest  = "bad_request"
	adminCodeInternal    = "internal"
)

// maxAdminBody bounds an admin request body.
const maxAdminBody = 4 << 10

// adminError is the body of an admin API error response.
type adminError struct {
	Message string `json:"error"`
	Code    string `json:"code"`
}

// addUserRequest is the body of POST /users.
type addUserRequest struct {
	Name string `json:"name"`
}

// tokenResponse is the body of GET /token.
type tokenResponse struct {
	Token string `json:"token"`
}

// adminBackend is what the admin API serves.
type adminBackend struct {
	users *users.DB
	// token returns the node's join token.
	token func() (string, error)
	// status returns the node's Status.
	status func(context.Context) (Status, error)
}

// serveAdmin serves the admin API on ln until ctx is done, then closes ln
// and returns once no admin request is running any more, so the caller may
// close the database after it.
func serveAdmin(ctx context.Context, ln net.Listener, b adminBackend, log *slog.Logger) {
	log = log.With("component", "admin")
	a := &adminServer{users: b.users, token: b.token, status: b.status, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users", a.addUser)
	mux.HandleFunc("GET /users", a.listUsers)
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

// adminServer handles admin requests.
type adminServer struct {
	users  *users.DB
	token  func() (string, error)
	status func(context.Context) (Status, error)
	log    *slog.Logger
}

func (a *adminServer) getStatus(w http.ResponseWriter, r *http.Request) {
	if a.status == nil {
		writeAdminError(w, http.StatusNotFound, adminCodeBadRequest, "this node reports no status")
		return
	}
	st, err := a.status(r.Context())
	if err != nil {
		a.internalError(w, "status", err)
		return
	}
	writeAdminJSON(w, http.StatusOK, st)
}

func (a *adminServer) getToken(w http.ResponseWriter, r *http.Request) {
	if a.token == nil {
		writeAdminError(w, http.StatusNotFound, adminCodeBadRequest, "this node has no join token")
		return
	}
	tok, err := a.token()
	if err != nil {
		a.internalError(w, "join token", err)
		return
	}
	writeAdminJSON(w, http.StatusOK, tokenResponse{Token: tok})
}

func (a *adminServer) addUser(w http.ResponseWriter, r *http.Request) {
	var req addUserRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err := dec.Decode(&req); err != nil {
		writeAdminError(w, http.StatusBadRequest, adminCodeBadRequest, "bad request body: "+err.Error())
		return
	}
	creds, err := a.users.Add(r.Context(), req.Name)
	switch {
	case errors.Is(err, users.ErrUserExists):
		writeAdminError(w, http.StatusConflict, adminCodeUserExists, err.Error())
	case errors.Is(err, dht.ErrInvalidUserName):
		writeAdminError(w, http.StatusBadRequest, adminCodeInvalidName, err.Error())
	case err != nil:
		a.internalError(w, "add user", err)
	default:
		writeAdminJSON(w, http.StatusCreated, creds)
	}
}

func (a *adminServer) listUsers(w http.ResponseWriter, r *http.Request) {
	list, err := a.users.List(r.Context())
	if err != nil {
		a.internalError(w, "list users", err)
		return
	}
	if list == nil {
		list = []users.Info{}
	}
	writeAdminJSON(w, http.StatusOK, list)
}

func (a *adminServer) internalError(w http.ResponseWriter, op string, err error) {
	a.log.Error("admin request failed", "op", op, "err", err)
	writeAdminError(w, http.StatusInternalServerError, adminCodeInternal, op+": "+err.Error())
}

func writeAdminError(w http.ResponseWriter, status int, code, msg string) {
	writeAdminJSON(w, status, adminError{Message: msg, Code: code})
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client sees a broken body if this fails
}
