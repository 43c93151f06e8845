// Package admin owns the admin API of a d3sd: the daemon side (Listen,
// Serve) and the client the d3sd subcommands call (AddUser, RemoveUser,
// RotateUser, ListUsers, Token, GetStatus), with its schema (users.Credentials, users.Info,
// Status).
//
// The API is JSON over HTTP on the unix socket DATA/admin.sock. Only the
// data dir's owner can reach it (mode 0600), so it needs no
// authentication. badger lets one process open a data dir, which is why
// the CLI asks the running daemon instead of opening the database itself.
//
//	POST /users {"name": N}         201 users.Credentials
//	GET  /users                     200 [users.Info, ...] (with status)
//	POST /users/remove {"name": N}  200 users.Info        the removed user
//	POST /users/rotate {"name": N}  200 users.Credentials the new secret
//	GET  /token              200 {"token": T}  the node's current join token
//	GET  /status             200 Status        what "d3sd status" shows
//
// Errors are {"error": message, "code": code}, code one of user_exists
// (409; the client's error wraps users.ErrUserExists), invalid_name (400;
// record.ErrInvalidUserName), unknown_user (404; users.ErrUnknownUser),
// user_removed (409; users.ErrUserRemoved), name_conflict (409;
// users.ErrNameConflict), unavailable (503; users.ErrNotSynced: the node
// has not merged its members' user records yet), bad_request and
// internal.
//
// A data dir whose socket path does not fit a unix socket address (about
// 100 bytes) is reached on Linux through /proc/self/fd of the socket's
// directory; elsewhere Listen and the client fail with ErrSocketPath. A
// socket left behind by a daemon that died is replaced by the next one;
// the client reports no daemon (ErrNoDaemon) when nothing serves it.
package admin
