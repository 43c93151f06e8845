// Package users owns a node's users: the user database (DB), which keeps
// each user's signed credential record (record.UserRecord) in the node's
// badger database, and its spread across the network (Sync).
//
// A user is an Ed25519 key pair; its access key ID derives from the public
// key, and its secret access key and private key travel in its record,
// sealed with the network key, so every member can serve every user of its
// network. DB stores the records under users/ak/<AccessKeyID>, with an
// index users/byname/<name>/<AccessKeyID> (names.go). It
// answers the S3 front end's credential lookups (LookupUser, an
// s3.Credentials) and opens the private keys the catalogue signs with
// (UserKey, a catalog.Signer). The founder of a network creates the first
// user, "admin" (EnsureFirstUser), whose keys d3sd writes to the data dir
// (WriteCredentialsFile).
//
// # Users across the network
//
// A user record is published to the DHT under /d3s/user/<AccessKeyID>
// when the user is added, and every local record again at each start
// (Sync.PublishAll). An S3 request with an access key unknown locally
// looks it up in the DHT (5 s bound), validates and opens the record,
// stores and caches it; a miss is remembered for 5 s so bogus keys cannot
// turn every request into a DHT lookup. The DHT cannot list keys, so
// members also exchange records over /d3s/users/1.0.0 (Protocol, sync.go):
// a new user is pushed to every connected member, and two members exchange
// all records when they connect; every record is validated and must open
// with the network key, and a stored record is replaced only by a better
// one (record.SelectUserRecord). "user list" therefore shows every user any
// connected member knows, with its status.
//
// # Rotation, removal, names
//
// Rotate and Remove (change.go) store and publish the user's next record
// (record.UserRecord.Rotate, Revoke) the same way, so connected members
// refuse the old secret or the removed key as soon as the push arrives. A
// removed user's key is refused with InvalidAccessKeyId, an old secret
// fails its signature check (SignatureDoesNotMatch). Every stored record
// empties the cache of opened users, so the next request re-reads.
//
// A node that was away may hold stale records. Sync tracks whether it has
// completed an exchange of all records with a member since it was last
// connected to none (fresh.go): until then, when a member is connected,
// LookupUser, Add, Rotate and Remove wait up to 5 s for that exchange
// (starting one with every connected member if none runs) and then fail
// with ErrNotSynced, which S3 clients see as 503 SlowDown. A node with no
// member connected serves what it has.
//
// Names are unique in the network: Add refuses a name that an active user
// holds among all records the node has merged. Two nodes that cannot see
// each other may still add one name; when the records meet, every node
// applies record.NameConflicts to the records of that name, and the user
// that lost it is refused (InvalidAccessKeyId, with a message naming the
// holder) and listed as StatusConflict.
package users
