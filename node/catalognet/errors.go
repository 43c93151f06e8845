package catalognet

import "errors"

// ErrBlobNotFound is returned (wrapped) by Blobs.GetBlob when neither
// this node nor any member it asked holds the blob.
var ErrBlobNotFound = errors.New("catalognet: snapshot blob not found")

// ErrTooFewHolders is returned (wrapped) by Blobs.PutBlob when other
// members are known but none is connected to hold a copy: a head must not
// reference a blob held by this node only.
var ErrTooFewHolders = errors.New("catalognet: no other member connected to hold the snapshot blob")

// ErrUnreachable is returned (wrapped) by Records.GetRecord when no
// record was found and no other member could be asked.
var ErrUnreachable = errors.New("catalognet: no member reachable to look the record up")
