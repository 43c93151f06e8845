package swarm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"

	"github.com/d3s/d3s/swarm/internal/layout"
	"github.com/d3s/d3s/swarm/internal/verified"
)

// Every stored object carries the SHA-1 of each of its pieces in its info
// dictionary, whose own hash is the object's ID. Whoever reads stored
// bytes (Open, Scrub, the engine serving a peer) checks a piece before it
// hands out a byte of it through a verified.Source, so a disk that
// silently damaged a file cannot make this node return or serve wrong
// bytes: the read fails with ErrCorrupt instead and Config.OnCorrupt asks
// for a Repair.

// newSource returns a source of id's pieces, with no reader yet, whose
// damaged pieces are reported (reportCorrupt).
func (s *Swarm) newSource(id ID, size, pieceLen int64, hashes []byte) *verified.Source {
	return &verified.Source{ID: id, Size: size, PieceLen: pieceLen, Hashes: hashes,
		OnCorrupt: func(err error) { s.reportCorrupt(id, err) }}
}

// openSource opens a recorded object's bytes for verified reading;
// closing it closes the files it opened.
func (s *Swarm) openSource(ctx context.Context, id ID, rec *record) (*verified.Source, io.Closer, error) {
	hashes, err := s.pieceHashes(id, rec)
	if err != nil {
		return nil, nil, err
	}
	ps := s.newSource(id, rec.size, rec.pieceLen, hashes)
	switch rec.kind {
	case kindFile:
		f, err := s.data.open(id)
		if err != nil {
			return nil, nil, err
		}
		ps.R = f
		return ps, f, nil
	case kindInline:
		b, err := s.getValue(prefixInline, id)
		if err != nil {
			return nil, nil, err
		}
		ps.R = bytes.NewReader(b)
		return ps, io.NopCloser(nil), nil
	default:
		l, err := s.openLayout(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		ps.R = l
		return ps, l, nil
	}
}

// openRecord opens the bytes of a recorded object behind a reader that
// returns only bytes of pieces whose SHA-1 matched (verified.Reader). An
// inline object is checked whole here: it is one small piece.
func (s *Swarm) openRecord(ctx context.Context, id ID, rec *record) (io.ReadSeekCloser, error) {
	if rec.kind == kindInline {
		return s.openInline(id, rec)
	}
	ps, c, err := s.openSource(ctx, id, rec)
	if err != nil {
		return nil, err
	}
	return verified.NewReader(ps, c), nil
}

// openInline reads and checks an inline object.
func (s *Swarm) openInline(id ID, rec *record) (io.ReadSeekCloser, error) {
	var info, b []byte
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if info, err = valueCopy(txn, prefixInfo, id); err == nil {
			b, err = valueCopy(txn, prefixInline, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	hashes, err := s.infoPieces(id, rec, info)
	if err != nil {
		return nil, err
	}
	ps := s.newSource(id, rec.size, rec.pieceLen, hashes)
	if err := ps.CheckAll(b); err != nil {
		return nil, err
	}
	return inlineReader{bytes.NewReader(b)}, nil
}

// valueCopy reads a whole value in txn. ErrNotFound.
func valueCopy(txn *badger.Txn, prefix string, id ID) ([]byte, error) {
	item, err := txn.Get(key(prefix, id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("swarm: read %s: %w", id, err)
	}
	return item.ValueCopy(nil)
}

type inlineReader struct{ *bytes.Reader }

func (inlineReader) Close() error { return nil }

// openLayout resolves id, recursively through Concat parts, into segments.
func (s *Swarm) openLayout(ctx context.Context, id ID) (*layout.Reader, error) {
	l := &layout.Reader{}
	if err := s.appendSegments(ctx, l, id, 0); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// maxDepth bounds Concat nesting, so a corrupt record cannot recurse forever.
const maxDepth = 16

func (s *Swarm) appendSegments(ctx context.Context, l *layout.Reader, id ID, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("swarm: %s: concat nested too deep", id)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec, err := s.record(id)
	if err != nil {
		return err
	}
	switch rec.kind {
	case kindFile:
		f, err := s.data.open(id)
		if err != nil {
			return err
		}
		l.Add(layout.Segment{R: f, F: f, Size: rec.size})
	case kindInline:
		b, err := s.getValue(prefixInline, id)
		if err != nil {
			return err
		}
		l.Add(layout.Segment{R: bytes.NewReader(b), Size: int64(len(b))})
	default:
		for _, p := range rec.parts {
			if err := s.appendSegments(ctx, l, p, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
