// Package partnerd is the domain of the partner API server: partners, their
// customer accounts, wallets and money, the error type every layer returns,
// and the service interfaces that the SQL store implements and the HTTP API
// and the public client consume.
package partnerd
