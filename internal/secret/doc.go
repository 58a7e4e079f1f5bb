// Package secret makes and checks the server's secrets: bearer tokens
// (stored as a SHA-256 hash), passwords (argon2id in PHC string form),
// customer tokens encrypted at rest (AES-256-GCM in a Box), and the key
// for that Box (from PARTNERD_SECRET_KEY or a 0600 key file).
//
// Randomness always comes from crypto/rand. Nothing here logs, and no
// error message repeats a secret, a password or a key.
package secret
