package catalognet

import "errors"

// ErrBlobNotFound is returned (wrapped) by Blobs.GetBlob when neither
// this node nor any member it asked holds the blob.
var ErrBlobNotFound = errors.New("catalognet: snapshot blob not found")
