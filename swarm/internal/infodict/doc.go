// Package infodict is the format of a D3S object's v1 torrent: the
// piece-length rule and the info dictionary,
//
//	{length: size, name: hex SHA-256 of the bytes, piece length, pieces}
//
// encoded by hand with sorted keys and nothing else. Everything in it
// derives from the bytes, so identical bytes give identical dictionaries,
// and so identical infohashes (the object's ID), on every node.
//
// The rule depends only on the size: the smallest power of two from
// 16 KiB to 16 MiB that keeps the object at or under 2048 pieces.
package infodict
