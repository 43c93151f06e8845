package users

import (
	"context"
	"fmt"

	"github.com/d3s/d3s/dht/record"
)

// Remove removes the active user called name: it stores and publishes the
// user's revoked record (record.UserRecord.Revoke), after which every
// member refuses its keys, and returns the removed user. The error wraps
// ErrUnknownUser when no user has the name, ErrUserRemoved when its users
// are all removed already, record.ErrInvalidUserName for a malformed name
// and ErrNotSynced when the node cannot merge the members' records first.
// A user that lost its name in a conflict is removed too when no active
// user has the name.
func (u *DB) Remove(ctx context.Context, name string) (Info, error) {
	var info Info
	err := u.change(ctx, name, "remove", true, func(r record.UserRecord) (record.UserRecord, error) {
		info = Info{Name: r.Name, AccessKeyID: r.AccessKeyID(), Created: r.Created, Status: StatusRemoved}
		return r.Revoke(u.network)
	})
	return info, err
}

// Rotate gives the active user called name a new secret access key and
// returns its credentials (same access key ID); the old secret is refused
// by every member once the new record reaches it. Errors are Remove's,
// and ErrNameConflict for a user that lost its name.
func (u *DB) Rotate(ctx context.Context, name string) (*Credentials, error) {
	var creds *Credentials
	err := u.change(ctx, name, "rotate", false, func(r record.UserRecord) (record.UserRecord, error) {
		next, secret, err := r.Rotate(u.network)
		creds = &Credentials{Name: r.Name, AccessKeyID: r.AccessKeyID(), SecretAccessKey: secret}
		return next, err
	})
	return creds, err
}

// change finds the user called name, makes its next record with next,
// stores it and publishes it. With losers, a user that lost its name may
// be the target when no active user holds it.
func (u *DB) change(ctx context.Context, name, op string, losers bool, next func(record.UserRecord) (record.UserRecord, error)) error {
	if err := record.ValidateUserName(name); err != nil {
		return fmt.Errorf("%s user: %w", op, err)
	}
	if err := u.fresh(ctx); err != nil {
		return fmt.Errorf("%s user %q: %w", op, name, err)
	}
	u.addMu.Lock()
	akid, raw, err := u.changeLocked(name, losers, next)
	u.addMu.Unlock()
	if err != nil {
		return fmt.Errorf("%s user %q: %w", op, name, err)
	}
	u.log.Info("user changed", "op", op, "name", name, "access_key_id", akid)
	u.publish(ctx, akid, raw)
	return nil
}

// changeLocked is change's local part, with addMu held.
func (u *DB) changeLocked(name string, losers bool, next func(record.UserRecord) (record.UserRecord, error)) (string, []byte, error) {
	g, err := u.group(name)
	if err != nil {
		return "", nil, err
	}
	target, err := g.target(losers)
	if err != nil {
		return "", nil, err
	}
	n, err := next(target)
	if err != nil {
		return "", nil, err
	}
	akid, raw := n.AccessKeyID(), n.Marshal()
	stored, err := u.storeTxn(akid, n.Name, raw)
	if err == nil && !stored {
		err = fmt.Errorf("a newer record of %s arrived meanwhile, try again: %w", akid, record.ErrStaleRecord)
	}
	if err != nil {
		return "", nil, err
	}
	u.forgetAll()
	return akid, raw, nil
}

// target returns the user a change of the name applies to: its active
// holder, else (with losers) a user that lost the name.
func (g nameGroup) target(losers bool) (record.UserRecord, error) {
	if h, ok := g.holder(); ok {
		return h, nil
	}
	for _, r := range g.recs {
		if g.status(r) == StatusConflict {
			if losers {
				return r, nil
			}
			return record.UserRecord{}, fmt.Errorf("%w (access key %s); remove it and add a new user", ErrNameConflict, g.lost[r.AccessKeyID()])
		}
	}
	if len(g.recs) > 0 {
		return record.UserRecord{}, fmt.Errorf("%w already", ErrUserRemoved)
	}
	return record.UserRecord{}, ErrUnknownUser
}
